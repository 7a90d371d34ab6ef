"""The model the readers produce: canonical round trip, nuclide names, record rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from seawitness.model import (
    MEASUREMENT_SCHEMA,
    Analysis,
    Basis,
    Detection,
    Measurement,
    Medium,
    RecordError,
    Station,
    normalize_nuclide,
    parse_canonical,
)
from seawitness.model.nuclides import UnknownNuclide


def _m(**kw) -> Measurement:
    base = dict(
        org="TEPCO", station="T-0-1A", medium=Medium.SEAWATER,
        sampled_at=datetime(2025, 8, 11, 7, 5, tzinfo=timezone(timedelta(hours=9))),
        nuclide="H-3", detection=Detection.DETECTED, value=52.0, unit="Bq/L",
        basis=Basis.WATER,
    )  # fmt: skip
    base.update(kw)
    return Measurement(**base)


def test_round_trip_full_record():
    m = _m(
        uncertainty=1.5, coverage_factor=2.0, detection_limit=0.3, depth="surface",
        depth_m=0.5, species=None, sample_id="S-1", replicate=2, analysis=Analysis.PRECISE,
        method="LSC", lab="TEPCO lab", reference_date=datetime(2025, 8, 11, tzinfo=UTC),
        source_tz="Asia/Tokyo", source="orbs:Seawater_10_5.csv", note="n", lat=37.43,
        lon=141.05, extra={"time_precision": "day"},
    )  # fmt: skip
    d = m.to_dict()
    assert d["schema"] == MEASUREMENT_SCHEMA
    assert d["sampled_at"] == "2025-08-10T22:05:00Z"  # stored in UTC
    back = Measurement.from_dict(json.loads(json.dumps(d)))
    assert back == m.replace(sampled_at=m.sampled_at.astimezone(UTC))
    assert back.canonical() == m.canonical()
    assert back.id == m.id
    assert parse_canonical(m.canonical()) == d


def test_defaults_left_out_of_canonical_form():
    d = _m().to_dict()
    assert "replicate" not in d and "extra" not in d and "uncertainty" not in d
    assert _m(replicate=1).id != _m().id


def test_natural_key_ignores_value():
    assert _m(value=1.0).natural_key() == _m(value=2.0).natural_key()
    assert _m(replicate=1).natural_key() != _m().natural_key()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("137Cs", "Cs-137"), ("Cs137", "Cs-137"), ("CS-137", "Cs-137"), ("cs-137", "Cs-137"),
        ("Cs 134", "Cs-134"), ("3H", "H-3"), ("H3", "H-3"), ("tritium", "H-3"),
        ("H-3:TFWT", "H-3:TFWT"), ("H-3:OBT", "H-3:OBT"), ("OBT", "H-3:OBT"), ("HTO", "H-3"),
        ("90Sr", "Sr-90"), ("131I", "I-131"), ("129I", "I-129"), ("99mTc", "Tc-99m"),
        ("129mTe", "Te-129m"), ("239Pu+240Pu", "Pu-239+240"), ("Pu-239+240", "Pu-239+240"),
        ("Total beta", "gross-beta"), ("T-BETA", "gross-beta"), ("Total alpha", "gross-alpha"),
        ("125Sb", "Sb-125"), ("60Co", "Co-60"),
    ],
)  # fmt: skip
def test_nuclide_normalization(raw, canonical):
    assert normalize_nuclide(raw) == canonical


@pytest.mark.parametrize("bad", ["", "Xx-137", "Cs-137:OBT", "H-3:XYZ", "hello", "239Pu+240Am"])
def test_unknown_nuclides(bad):
    with pytest.raises(UnknownNuclide):
        normalize_nuclide(bad)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"org": ""}, "org"),
        ({"station": ""}, "station"),
        ({"sampled_at": datetime(2025, 1, 1)}, "sampled_at"),
        ({"sampled_at": datetime(1850, 1, 1, tzinfo=UTC)}, "sampled_at"),
        ({"nuclide": "137Cs"}, "nuclide"),
        ({"nuclide": "Xx-1"}, "nuclide"),
        ({"value": float("nan")}, "value"),
        ({"value": None}, "value"),
        ({"detection": Detection.BELOW_LIMIT, "value": None}, "value"),
        ({"detection": Detection.BELOW_LIMIT, "value": -0.3}, "value"),
        ({"detection": Detection.NOT_DETECTED, "value": 0.3}, "value"),
        ({"detection_limit": -1.0}, "detection_limit"),
        ({"uncertainty": -1.0}, "uncertainty"),
        ({"coverage_factor": 0.0}, "coverage_factor"),
        ({"unit": ""}, "unit"),
        ({"lat": 337.4, "lon": 141.0}, "lat"),
        ({"lat": 37.4, "lon": None}, "lon"),
    ],
)  # fmt: skip
def test_record_validation(kw, field):
    with pytest.raises(RecordError) as e:
        _m(**kw)
    assert e.value.field == field


def test_from_dict_rejects_unknown_and_wrong_schema():
    d = _m().to_dict()
    with pytest.raises(RecordError):
        Measurement.from_dict({**d, "schema": "other"})
    with pytest.raises(RecordError):
        Measurement.from_dict({**d, "colour": "blue"})


def test_station_coordinates():
    assert not Station("X", "ORG").coords_known
    with pytest.raises(RecordError):
        Station("X", "ORG", lat=337.5, lon=141.0)


def test_not_detected_without_value_round_trips() -> None:
    """'ND' has no value; to_dict leaves it out and from_dict must accept that."""
    from datetime import UTC, datetime

    from seawitness.model import Basis, Detection, Measurement, Medium

    m = Measurement(
        org="NRA",
        station="M-101",
        medium=Medium.SEAWATER,
        sampled_at=datetime(2022, 5, 1, tzinfo=UTC),
        nuclide="Cs-134",
        detection=Detection.NOT_DETECTED,
        value=None,
        unit="Bq/L",
        basis=Basis.WATER,
    )
    assert "value" not in m.to_dict()
    assert Measurement.from_dict(m.to_dict()) == m


def test_fast_canonical_bytes_equal_rfc8785_reference() -> None:
    """Measurement.canonical() takes a json.dumps shortcut; it must give exactly the bytes
    of the RFC 8785 reference implementation (rfc8785.dumps) for awkward values too:
    exponents, integral floats above 2**53, escapes, U+2028, non-ASCII text."""
    import random
    from datetime import UTC, datetime, timedelta

    import rfc8785

    from seawitness.model import Basis, Detection, Measurement, Medium

    rng = random.Random(5)
    for i in range(3000):
        v = rng.choice(
            [
                rng.random() * 10 ** rng.randint(-9, 22),
                float(rng.randint(0, 10**6)),
                rng.expovariate(3),
                float(2 ** rng.randint(50, 70)),
            ]
        )
        m = Measurement(
            org="TEPCO",
            station=rng.choice(["T-1", "表層", 'E-S"3', "a\\b"]),
            medium=Medium.SEAWATER,
            sampled_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**8)),
            nuclide="H-3",
            detection=Detection.DETECTED,
            value=v,
            unit="Bq/L",
            basis=Basis.WATER,
            uncertainty=v / 10,
            extra={"note": "ä\u2028x\t", "k": str(i)} if i % 2 else {},
            replicate=rng.randint(0, 2),
        )
        assert m.canonical() == rfc8785.dumps(m.to_dict())
        assert Measurement.from_dict(m.to_dict()) == m


@pytest.mark.parametrize(
    "record",
    [
        {"schema": "seawitness/measurement/v1", "value": 0.5, "station": "T-0"},
        # a record quoting the very markers the parser cuts at, in keys and values
        {
            "note": ',"record":{"a":1},"schema":"seawitness/entry/v1","seq":3',
            ',"schema":"seawitness/entry/v1","seq":': [1, 2.5, None, "é\u2028"],
            "nested": {"record": {"schema": "x"}, "z": -0.0, "big": 1e21},
        },
        {},
    ],
)
def test_entry_record_bytes_read_back_from_the_leaf(record: dict) -> None:
    """A parsed entry's record bytes are the record's RFC 8785 encoding, whatever the
    record holds (they are cut out of the canonical leaf rather than encoded again)."""
    import rfc8785

    from seawitness.model.entry import Entry

    e = Entry(
        "stakeholder",
        rfc8785.dumps(record),
        'sub"mitter',
        'k,"record":+00',
        7,
        datetime(2026, 1, 1, tzinfo=UTC),
        b"\1" * 64,
        logged_at=datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
    )
    back = Entry.from_bytes(e.to_bytes())
    assert back.record_bytes == rfc8785.dumps(record)
    assert back == e
