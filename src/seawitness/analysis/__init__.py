"""Analysis of the recorded results: limits, lab comparison, censored statistics, trends, dose.

The public modules (each function names its standard or paper and the units of its
arguments; ``docs/methods.md`` explains each method for non-statisticians and
``docs/conformance.md`` lists the reference implementation each is checked against):

``limits``
    rule sets per jurisdiction as data, and the evaluation of results against them with
    their uncertainty; every evaluation carries the grade and source of each number used.
``ilc``
    ISO 13528 proficiency scores (z, z', zeta, En, Algorithm A) and the IAEA scheme.
``splits``
    split samples found in the store, scored lab against lab.
``censored``
    Kaplan--Meier, robust ROS and lognormal MLE summaries of data with non-detects, and
    the Peto--Prentice two-group test (Helsel 2012).
``trends``
    Mann--Kendall, seasonal Kendall and Theil--Sen; with the censored tests of ``ats``
    (Akritas--Theil--Sen) re-exported. ``kendall`` holds what they share.
``baseline``
    a station's (or a zone's) results before and after the discharge start.
``alerts``
    investigation-level alerts and CUSUM / EWMA change detection.
``dose``
    ingestion dose from measured concentrations (ICRP 72 coefficients).
``from_store``
    the current results of the store as records.

Submodules are imported on use (``from seawitness.analysis import trends``); nothing
heavy is loaded by importing the package.
"""

__all__ = [
    "alerts",
    "ats",
    "baseline",
    "censored",
    "dose",
    "from_store",
    "ilc",
    "kendall",
    "limits",
    "splits",
    "trends",
]
