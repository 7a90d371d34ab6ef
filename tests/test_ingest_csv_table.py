"""The CSV table reader and the results CSV: every error names file, line and the
character column where the field starts (counted by hand in each case below)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seawitness.errors import InputError
from seawitness.ingest import CsvCellError, read_csv_table, read_results_csv
from seawitness.ingest.results_csv import sampled_at_given


def write(tmp_path: Path, text: str | bytes, name: str = "t.csv") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def error(path: Path, *required: str, **kw: object) -> str:
    with pytest.raises(CsvCellError) as info:
        table = read_csv_table(path, required, **kw)  # type: ignore[arg-type]
        for row in table.rows:
            row.number("value")
    assert isinstance(info.value, InputError)
    return str(info.value)


def test_rows_keep_their_lines_across_blank_and_quoted_lines(tmp_path: Path) -> None:
    p = write(tmp_path, '\ufefflab , value\n\nA,1\n"B\nsecond line",2\n C ,3\n')
    table = read_csv_table(p, ["lab", "value"])
    assert table.header == ["lab", "value"]  # BOM and blanks gone
    assert [(r.line, r.text("lab")) for r in table.rows] == [
        (3, "A"),
        (4, "B\nsecond line"),
        (6, "C"),
    ]


def test_a_bad_number_names_line_and_character_column(tmp_path: Path) -> None:
    p = write(tmp_path, 'lab,note,value\nA,"x, y",1\nB,"z",abc\n')
    # line 3 is B,"z",abc: "abc" starts at character 7
    assert error(p, "lab", "value") == f"{p}:3:7: value 'abc' is not a number"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1:1: empty file; expected a header row"),
        ("lab\nA\n", "1:1: missing column(s) value; required: lab, value; found: lab"),
        ("lab,value\n", "no data rows after the header"),
        ("lab,value\nA,1,2\n", "2:1: expected 2 fields, as in the header; found 3"),
        ("lab,value,lab\nA,1,2\n", "1:11: column 'lab' appears twice"),
        ("lab,value\nA,nan\n", "2:3: value 'nan' is not a finite number"),
    ],
    ids=["empty", "missing", "no rows", "ragged", "twice", "nan"],
)
def test_table_errors(tmp_path: Path, text: str, message: str) -> None:
    assert error(write(tmp_path, text), "lab", "value").endswith(message)


def test_unknown_columns_only_when_the_others_are_listed(tmp_path: Path) -> None:
    p = write(tmp_path, "lab,value,colour\nA,1,red\n")
    assert read_csv_table(p, ["lab", "value"]).rows[0].text("colour") == "red"
    assert error(p, "lab", "value", optional=["note"]) == f"{p}:1:11: unknown column 'colour'"


def test_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    p = write(tmp_path, "lab,value\nMüller,1\n".encode("latin-1"))
    # the line of the bad byte, so an editor can jump to it
    assert f"{p}:2: not UTF-8 text: byte 0xfc is byte 2 of the line" in error(p, "lab", "value")


def test_typed_cells(tmp_path: Path) -> None:
    p = write(tmp_path, "time,value,censored\n2023-08-24T13:03+09:00,-1,<\n2020.5,2,no\n")
    first, second = read_csv_table(p, ["time"]).rows
    assert first.number_or_instant("time") == datetime(2023, 8, 24, 4, 3, tzinfo=UTC)
    assert second.number_or_instant("time") == 2020.5
    assert first.flag("censored") is True and second.flag("censored") is False
    assert second.optional_number("missing") is None
    with pytest.raises(CsvCellError, match=r":2:24: value '-1' must not be negative"):
        first.number("value", non_negative=True)
    third = read_csv_table(write(tmp_path, "time,censored\n1,1\n2,yes\n3,no!\n")).rows[2]
    with pytest.raises(CsvCellError, match=r":4:3: censored 'no!' is not true/false"):
        third.flag("censored")


# ---------------------------------------------------------------- results CSV

HEADER = "station,medium,nuclide,value,unit,detection,uncertainty,zone,sampled_at,basis"


def test_results_csv(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        f"{HEADER}\n"
        "T-0-1A,seawater,3H,52,Bq/l,=,3,outlet-3km,2025-08-10T22:04Z,\n"
        "F-1,fish,Cs137,95,Bq/kg,=,3,,,wet\n",
    )
    (h3, cs), zones = read_results_csv(p)
    assert (h3.nuclide, h3.unit, h3.basis.value) == ("H-3", "Bq/L", "water")
    assert h3.sampled_at == datetime(2025, 8, 10, 22, 4, tzinfo=UTC) and sampled_at_given(h3)
    assert (cs.nuclide, cs.basis.value) == ("Cs-137", "wet") and not sampled_at_given(cs)
    assert zones == {"T-0-1A": "outlet-3km"}


def start(row: str, field: int) -> int:
    """1-based character column where field number ``field`` (0-based) of an unquoted
    CSV line starts: one past the commas and fields before it."""
    return len(",".join(row.split(",")[:field])) + (2 if field else 1)


@pytest.mark.parametrize(
    ("row", "field", "says"),
    [
        ("A,seawater,H-3,1,Bq/L,=,,,2025-08-10T22:04,", 8, "has no time zone"),
        ("A,seawater,H-3,1,Bq/kg-dry,=,,,,wet", 9, "contradicts unit"),
        ("A,sea,H-3,1,Bq/L,=,,,,", 1, "unknown medium 'sea'"),
        ("A,seawater,H-3,1,Bq/L,maybe,,,,", 5, "detection 'MAYBE' is not one of"),
        ("A,seawater,H-3,1,Bq/kg,=,,,,", 4, "does not say wet or dry"),
    ],
    ids=["no zone", "basis", "medium", "detection", "kg"],
)
def test_results_csv_errors(tmp_path: Path, row: str, field: int, says: str) -> None:
    p = write(tmp_path, f"{HEADER}\n{row}\n")
    with pytest.raises(CsvCellError) as info:
        read_results_csv(p)
    assert str(info.value).startswith(f"{p}:2:{start(row, field)}: ")
    assert says in str(info.value)


def test_a_station_with_two_zones_is_refused(tmp_path: Path) -> None:
    second = "A,seawater,H-3,2,Bq/L,=,,z2,,"
    p = write(tmp_path, f"{HEADER}\nA,seawater,H-3,1,Bq/L,=,,z1,,\n{second}\n")
    with pytest.raises(CsvCellError) as info:
        read_results_csv(p)
    assert str(info.value) == (
        f"{p}:3:{start(second, 7)}: station 'A' was given zone 'z1' on an earlier line"
    )
