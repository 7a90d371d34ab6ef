"""The one root of every error seawitness raises on purpose.

Every exception class the project defines derives from :class:`SeawitnessError`, through
one of a few families that say *whose* problem it is, so that a caller can catch
exactly what it can do something about:

* :class:`InputError`: what someone gave us is wrong (a file, a row, a record, a
  request parameter, a submitted entry). The message names where (file and line,
  field, parameter, position in a batch) and what was expected. The CLI prints it as
  one line and exits 1; the API answers 4xx.
* :class:`NotFoundError`: a record, station, rule set or checkpoint that does not exist.
* :class:`VerificationError`: a signature, proof, checkpoint, cosignature, tile or
  audit did not verify. This is the family an auditor cares about: it never means
  "try again", it means the data is not what it claims to be.
* :class:`ConfigError`: the instance, its settings or its key files are unusable.
* :class:`StoreError`: the database refused or is not what this version expects.
* :class:`RemoteError`: another server (a log, a mirror) refused or could not be read.

A bug is never one of these: programming errors (``KeyError``, ``TypeError``,
``AttributeError`` ...) are not caught and turned into "invalid input" anywhere, so they
surface as the tracebacks they are. The CLI and the API each catch
:class:`SeawitnessError` in exactly one place (``seawitness.cli.common.SeawitnessGroup``
and the API's exception handler).

The families that stand for a bad value (:class:`InputError`, :class:`VerificationError`)
are also ``ValueError`` and :class:`NotFoundError` is also ``LookupError``, as Python
code expects of such errors; the root is what seawitness itself catches.

Like sigstore-python's errors, each error carries what failed (:attr:`where`) and, when
it is known, what was expected (:attr:`expected`), beside its message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "InputError",
    "NotFoundError",
    "RemoteError",
    "SeawitnessError",
    "SeawitnessWarning",
    "StoreError",
    "VerificationError",
]


class SeawitnessError(Exception):
    """The root of every error seawitness raises on purpose.

    :param message: what went wrong, in a sentence a user can act on.
    :param where: what failed: a file and line, a field, a parameter, a leaf index.
    :param expected: what would have been accepted, when that can be said.

    >>> err = InputError("value: 'abc' is not a number", where="results.csv:12",
    ...                  expected="a decimal number")
    >>> str(err)
    "value: 'abc' is not a number"
    >>> err.diagnostics()
    "results.csv:12: value: 'abc' is not a number (expected a decimal number)"
    >>> isinstance(err, SeawitnessError)
    True
    """

    #: A short, stable machine-readable name, used as ``error`` in API error bodies.
    code = "error"

    def __init__(
        self,
        message: str = "",
        *,
        where: str | None = None,
        expected: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.where = where
        self.expected = expected
        #: Machine-readable details for an API error body (a batch position, a parameter).
        self.context: dict[str, Any] = dict(context or {})

    def diagnostics(self) -> str:
        """The message with where it happened and what was expected, for a log or a user."""
        text = str(self)
        if self.where and not text.startswith(f"{self.where}:"):
            text = f"{self.where}: {text}"
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class InputError(SeawitnessError, ValueError):
    """Something a user, a lab or a source file gave us is not valid; nothing was changed."""

    code = "bad_input"


class NotFoundError(SeawitnessError, LookupError):
    """The record, station, rule set, key or checkpoint asked for does not exist."""

    code = "not_found"


class VerificationError(SeawitnessError, ValueError):
    """A signature, proof, checkpoint, cosignature, tile or audit check failed."""

    code = "verification_failed"


class ConfigError(SeawitnessError):
    """The instance, its settings or its key files cannot be used as they are."""

    code = "config_error"


class StoreError(SeawitnessError):
    """The database refused an operation or is not at a schema this version knows."""

    code = "store_error"


class RemoteError(SeawitnessError):
    """Another server (a log, a mirror, a witness) refused the request or could not be read."""

    code = "remote_error"


class SeawitnessWarning(UserWarning):
    """The root of the warnings seawitness issues (a number used with low confidence...)."""
