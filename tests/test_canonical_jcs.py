"""RFC 8785 JSON canonicalization (JCS) against the cyberphone test data.

Every file in ``vectors/jcs/input`` must serialize to the bytes in ``vectors/jcs/output``
(and ``outhex``). The ES6 number file checks number formatting: each line is
``<IEEE-754 bits in hex>,<expected serialization>``, and the SHA-256 of its prefixes must
match the upstream table in ``numbers.json``.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rfc8785

VECTORS = Path(__file__).parent / "vectors" / "jcs"
NUMBERS = json.loads((VECTORS / "numbers.json").read_text())
INPUT_FILES = sorted(path.name for path in (VECTORS / "input").glob("*.json"))
ES6_LINES = (VECTORS / "es6numbers-10000.txt").read_bytes().splitlines(keepends=True)
CHUNK = 1000


def number_from_hex(bits: str) -> float:
    value: float = struct.unpack(">d", int(bits, 16).to_bytes(8, "big"))[0]
    return value


def expected_output(name: str) -> bytes:
    output = (VECTORS / "output" / name).read_bytes()
    outhex = (VECTORS / "outhex" / name.replace(".json", ".txt")).read_text().split()
    assert bytes(int(byte, 16) for byte in outhex) == output
    return output


def test_every_input_has_expected_output() -> None:
    assert len(INPUT_FILES) == 6
    assert sorted(path.name for path in (VECTORS / "output").iterdir()) == INPUT_FILES


@pytest.mark.parametrize("name", INPUT_FILES)
def test_rfc8785_dumps_matches_output(name: str) -> None:
    data = json.loads((VECTORS / "input" / name).read_text(encoding="utf-8"))
    assert rfc8785.dumps(data) == expected_output(name)


@pytest.mark.parametrize("name", INPUT_FILES)
def test_project_canonical_bytes_matches_output(name: str) -> None:
    canonical = pytest.importorskip("seawitness.model.canonical")
    canonical_bytes: Callable[[Any], bytes] = canonical.canonical_bytes
    data = json.loads((VECTORS / "input" / name).read_text(encoding="utf-8"))
    assert canonical_bytes(data) == expected_output(name)


@pytest.mark.parametrize("sample", NUMBERS["samples"], ids=lambda s: s["ieee754_hex"])
def test_number_sample(sample: dict[str, str]) -> None:
    value = number_from_hex(sample["ieee754_hex"])
    assert rfc8785.dumps(value).decode() == sample["expected"]


def es6_prefix_hash(lines: int) -> dict[str, Any]:
    return next(
        entry
        for entry in NUMBERS["upstream_hashes_of_es6testfile_prefixes"]
        if entry["lines"] == lines
    )


@pytest.mark.parametrize("lines", [1000, 10000])
def test_es6_number_file_matches_upstream_hash(lines: int) -> None:
    expected = es6_prefix_hash(lines)
    prefix = b"".join(ES6_LINES[:lines])
    assert len(prefix) == expected["bytes"]
    assert hashlib.sha256(prefix).hexdigest() == expected["sha256"]


@pytest.mark.parametrize("lines", [1000, 10000])
def test_rfc8785_reproduces_upstream_number_hash(lines: int) -> None:
    # Rebuild every line from the IEEE-754 bits alone, so the upstream hash checks our
    # number formatting rather than the file's expected column.
    digest = hashlib.sha256()
    for line in ES6_LINES[:lines]:
        bits = line.split(b",", 1)[0].decode()
        digest.update(f"{bits},".encode() + rfc8785.dumps(number_from_hex(bits)) + b"\n")
    assert digest.hexdigest() == es6_prefix_hash(lines)["sha256"]


@pytest.mark.parametrize("start", range(0, len(ES6_LINES), CHUNK), ids=lambda s: f"lines{s}+")
def test_es6_numbers_format_like_ecmascript(start: int) -> None:
    mismatches = []
    for line in ES6_LINES[start : start + CHUNK]:
        bits, expected = line.decode().rstrip("\n").split(",")
        got = rfc8785.dumps(number_from_hex(bits)).decode()
        if got != expected:
            mismatches.append((bits, expected, got))
    assert mismatches == []


def test_es6_number_file_has_10000_lines() -> None:
    assert len(ES6_LINES) == 10000


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(value: float) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps(value)


def test_negative_zero_serializes_as_zero() -> None:
    assert rfc8785.dumps(-0.0) == b"0"
