"""Canonical bytes of a record: RFC 8785 JSON Canonicalization Scheme (JCS).

Every record that is signed or put in the log is first turned into JCS bytes, so that
two parties who hold the same record compute the same signature input and the same leaf
hash, whatever JSON library they use. See RFC 8785 §3.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from seawitness.errors import InputError

_MAX_SAFE = 2**53
_JSON_TYPES = (bool, str, int, float, dict, list)  # bool first: it is an int subclass


def _fast_form(obj: Any) -> Any:
    """Return ``obj`` with integral floats as ints, or None if the fast path cannot be used.

    For ASCII-keyed objects whose numbers are integers or floats whose shortest repr has
    no exponent, Python's ``json.dumps(sort_keys=True, ensure_ascii=False)`` produces
    exactly the RFC 8785 bytes: JCS escapes strings as JSON.stringify does (only ``"``,
    ``\\`` and control characters, with the same short forms and lower-case ``\\u00xx``),
    sorts ASCII keys in the same order, and formats such numbers as ECMAScript's
    Number.prototype.toString does (RFC 8785 §3.2.2.3). Anything else falls back to the
    reference implementation.
    """
    kind: type | None = type(obj)  # compared by identity, most frequent first: per record
    if kind not in _JSON_TYPES:  # a subclass (a StrEnum member...): as its JSON type
        kind = next((b for b in _JSON_TYPES if isinstance(obj, b)), None)
    if kind is str or kind is bool:
        return obj
    if kind is dict:
        out = {}
        for k, v in obj.items():
            if type(k) is not str or not k.isascii():
                return None
            fv = _fast_form(v)
            if fv is None and v is not None:
                return None
            out[k] = fv
        return out
    if kind is int:
        return obj if abs(obj) < _MAX_SAFE else None
    if kind is float:
        if obj != obj or obj in (float("inf"), float("-inf")):
            return None
        if obj.is_integer():
            return int(obj) if abs(obj) < _MAX_SAFE else None
        return obj if "e" not in repr(obj) else None
    if kind is list:
        items = [_fast_form(v) for v in obj]
        if any(f is None and v is not None for f, v in zip(items, obj, strict=True)):
            return None
        return items
    return None


FAST_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
"""``json.dumps`` as the fast path uses it, built once (``dumps`` builds one per call)."""


def canonical_bytes(obj: Any) -> bytes:
    """Return the RFC 8785 canonical JSON encoding of ``obj`` (UTF-8 bytes).

    Records are small and flat, so a fast path produces the same bytes with the standard
    library (see :func:`_fast_form`); anything unusual goes through ``rfc8785``. Raises
    ``ValueError`` for values JCS cannot represent (NaN, infinities, integers beyond
    IEEE 754 double precision): a record must not carry them.
    """
    fast = _fast_form(obj)
    if fast is not None:
        return FAST_JSON.encode(fast).encode("utf-8")
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError) as exc:
        raise ValueError(f"cannot canonicalize record: {exc}") from exc


#: Deepest nesting of arrays and objects a record may have. Records are flat (a
#: correction holds one measurement, a measurement one ``extra`` map): 16 leaves room
#: and keeps a hostile body of 30,000 brackets from reaching the parser's recursion.
MAX_DEPTH = 16


class JsonError(InputError):
    """Bytes that are not the JSON a record or entry must be (UTF-8, syntax, nesting)."""


def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON bytes, brackets in strings aside.

    >>> json_depth(b'{"a":[1,{"b":"[["}]}')
    3
    """
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def decode_json(data: bytes, what: str = "JSON") -> Any:
    """Parse UTF-8 JSON bytes with errors a submitter can act on (where and why).

    :raises JsonError: invalid UTF-8 (with the byte offset), a JSON syntax error (with
        the line and column), or nesting deeper than :data:`MAX_DEPTH`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonError(f"{what} is not valid UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise JsonError(f"{what} starts with a byte order mark")
    if (data.count(b"[") + data.count(b"{") > MAX_DEPTH) and json_depth(data) > MAX_DEPTH:
        raise JsonError(f"{what} nests arrays/objects deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None


def _no_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def unrepresentable(obj: Any, path: str = "") -> str | None:
    """Where and why ``obj`` holds a number JCS cannot write (an integer beyond 2**53, a
    float that is not finite), or None.

    >>> unrepresentable({"record": {"value": float("inf")}, "seq": 1})
    'record.value: inf is not a finite number'
    >>> unrepresentable({"seq": 2**60})
    'seq: 1152921504606846976 is beyond the exact integers of JSON (2**53)'
    """
    if obj is None or isinstance(obj, (bool, str)):
        return None
    if isinstance(obj, int):
        if abs(obj) >= _MAX_SAFE:
            return f"{path or 'value'}: {obj} is beyond the exact integers of JSON (2**53)"
        return None
    if isinstance(obj, float):
        if obj != obj or obj in (float("inf"), float("-inf")):
            return f"{path or 'value'}: {obj} is not a finite number"
        return None
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = unrepresentable(v, f"{path}.{k}" if path else str(k))
            if found:
                return found
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found = unrepresentable(v, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_canonical(data: bytes, what: str = "JSON") -> Any:
    """Parse canonical bytes and check that they are canonical (re-encode equals input)."""
    obj = decode_json(data, what)
    try:
        again = canonical_bytes(obj)
    except ValueError as exc:
        where = unrepresentable(obj) or str(exc)
        raise JsonError(f"{what} cannot be canonical: {where}") from None
    if again != data:
        raise JsonError(f"{what} is valid JSON but not in RFC 8785 canonical form")
    return obj


def record_id(data: bytes) -> str:
    """The id of a record: hex SHA-256 of its canonical bytes (content address)."""
    return hashlib.sha256(data).hexdigest()
