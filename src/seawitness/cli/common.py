"""What every command shares: the instance it runs in, the one error handler, the one
table printer and the one JSON printer, and the option types for times and nuclides.

Importing this module must stay cheap: ``seawitness --version`` and ``--help`` import
every command module, so nothing here (or there) imports the database layer, the
analysis modules, rich or the HTTP stack at module level; they are imported inside the
functions that use them (``tests/test_cli_startup.py`` checks it).

Output follows two rules. Summaries come first, so that ``| head`` shows them. A table
fits the width it is printed at (the terminal's, or ``COLUMNS``, or 80 when stdout is
not a terminal): columns of free text may be cut with an ellipsis down to
:data:`MIN_CUT_WIDTH` characters, and when even that does not fit the rows are printed
as ``key: value`` blocks instead; numbers and identifiers are never cut.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from seawitness.errors import SeawitnessError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from seawitness.instance import Instance

__all__ = [
    "CONTEXT_SETTINGS",
    "Column",
    "MIN_CUT_WIDTH",
    "Instant",
    "NuclideName",
    "OrderedGroup",
    "SeawitnessGroup",
    "console",
    "echo_wrapped",
    "format_cell",
    "instance_root",
    "json_text",
    "number_text",
    "open_instance",
    "out",
    "print_json",
    "print_table",
    "progress",
    "render_table",
]

#: Click settings of every group: ``-h`` works like ``--help``.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


# --------------------------------------------------------------------------- instance


def instance_root(ctx: click.Context) -> Path | None:
    """The instance folder the command runs in: ``--instance``, or the nearest folder at or
    above the current directory holding a ``seawitness.toml``; None when there is none."""
    from seawitness.instance import find_instance

    obj = ctx.find_root().obj or {}
    root = obj.get("instance")
    return Path(root) if root is not None else find_instance()


def open_instance(ctx: click.Context) -> Instance:
    """The instance the command runs in (see :func:`instance_root`), with ``--db``.

    An unusable instance raises :class:`~seawitness.instance.InstanceError`, which the
    root group prints as one line like every other library error."""
    from seawitness.instance import Instance

    root = instance_root(ctx)
    if root is None:
        raise click.ClickException(
            "not inside a seawitness instance (no seawitness.toml here or above).\n"
            "  Create one with:  seawitness init DIR   (or run: seawitness demo)"
        )
    return Instance.open(root, db_url=(ctx.find_root().obj or {}).get("db"))


class OrderedGroup(click.Group):
    """A group whose ``--help`` lists its commands in the order they were added (the
    order a new user needs them), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


class SeawitnessGroup(OrderedGroup):
    """The root command group: the CLI's one place that turns the errors seawitness
    raises on purpose (:class:`~seawitness.errors.SeawitnessError`) into one clear line
    and exit status 1. Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SeawitnessError as exc:
            raise click.ClickException(exc.diagnostics()) from None


# --------------------------------------------------------------------------- option types


class Instant(click.ParamType):
    """An ISO 8601 date or date-time option, as an aware UTC datetime (naive = UTC).

    Parsed by :func:`seawitness.model.times.parse_instant`; a bad value is click's usage
    error (exit 2) naming the option. ``words`` are accepted as they are (e.g. ``all``)."""

    name = "time"

    def __init__(self, words: Sequence[str] = ()) -> None:
        self.words = tuple(words)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "|".join(("DATE", *(w.upper() for w in self.words)))

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime | str:
        if isinstance(value, datetime):
            return value
        from seawitness.errors import InputError
        from seawitness.model.times import parse_instant

        text = str(value).strip()
        if text.lower() in self.words:
            return text.lower()
        try:
            return parse_instant(text, field=param.name if param and param.name else "time")
        except InputError:
            also = "".join(f" or {w!r}" for w in self.words)
            self.fail(
                f"{value!r} is not an ISO date (2023-08-24) or date-time (2023-08-24T04:03Z){also}",
                param,
                ctx,
            )


class NuclideName(click.ParamType):
    """A nuclide option in any spelling the model knows (``137Cs``, ``h3``), normalised by
    :func:`seawitness.model.nuclides.normalize_nuclide`; unknown names are a usage error."""

    name = "nuclide"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from seawitness.model.nuclides import UnknownNuclide, normalize_nuclide

        try:
            return normalize_nuclide(str(value))
        except UnknownNuclide as exc:
            self.fail(str(exc), param, ctx)


# --------------------------------------------------------------------------- messages


class _LazyConsole:
    """A rich console made on first use, so that importing the CLI does not import rich."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console.print(*objects, **kwargs)


#: Messages and progress (rich markup) go to standard error ...
console = _LazyConsole(stderr=True)
#: ... and verdicts that are the command's result (AUDIT PASSED) to standard output.
out = _LazyConsole(stderr=False)


def progress(*, transient: bool = False) -> Progress:
    """The progress bar of long commands (import, publish, audit), on standard error."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console.console,
        transient=transient,
    )


# --------------------------------------------------------------------------- JSON


def _plain(obj: Any) -> Any:
    """``obj`` with only JSON types: non-finite floats become null (RFC 8259 has no NaN),
    times ISO 8601 UTC strings (naive ones are UTC, as the store keeps them)."""
    if obj is None or isinstance(obj, str | bool | int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, datetime | date):
        return format_cell(obj)
    if isinstance(obj, Enum):
        return _plain(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot print a {type(obj).__name__} as JSON: {obj!r}")


def json_text(obj: Any) -> str:
    """``obj`` as the CLI prints JSON: indented, UTF-8 as is, standard JSON only."""
    return json.dumps(_plain(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on standard output (see :func:`json_text`)."""
    click.echo(json_text(obj), nl=False)


# --------------------------------------------------------------------------- tables

#: Columns of text are never cut narrower than this (nor than their header).
MIN_CUT_WIDTH = 12
_GAP = "  "
_ELLIPSIS = "…"


def format_cell(v: Any, digits: int = 6) -> str:
    """One value as a table shows it: times in ISO 8601 UTC, floats to ``digits``
    significant digits, nothing for None."""
    from seawitness.model.times import format_date, format_utc

    if v is None:
        return ""
    if isinstance(v, datetime):
        return format_utc(v if v.tzinfo is not None else v.replace(tzinfo=UTC))
    if isinstance(v, date):
        return format_date(v)
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    if isinstance(v, Enum):
        return str(v.value)
    return str(v)


def number_text(v: float | None, digits: int = 4) -> str:
    """A number inside a sentence, to ``digits`` significant digits; ``-`` for none."""
    if v is None or not math.isfinite(v):
        return "-"
    return f"{v:.{digits}g}"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + _ELLIPSIS


def _fit(widths: list[int], floors: list[int], width: int) -> list[int] | None:
    """Column widths that fit ``width`` by narrowing the widest cuttable columns first
    (never below their floor), or None when nothing does."""
    widths = list(widths)
    excess = sum(widths) + len(_GAP) * (len(widths) - 1) - width
    while excess > 0:
        room = [(w - f, i) for i, (w, f) in enumerate(zip(widths, floors, strict=True)) if w > f]
        if not room:
            return None
        i = max(room, key=lambda r: (widths[r[1]], r[0]))[1]
        widths[i] -= 1
        excess -= 1
    return widths


#: A column: the row's key, or (key, a shorter header for the table).
Column = str | tuple[str, str]


def render_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    width: int,
    title: str | None = None,
    note: str | None = None,
    cut: Sequence[str] = (),
    digits: int = 6,
    tty: bool = False,
) -> list[str]:
    """The lines :func:`print_table` prints, at ``width`` characters.

    ``note`` names a field printed under its row, indented and wrapped (a reason, say),
    instead of in a column. ``cut`` names the columns of free text (titles, names) that
    may be shortened with an ellipsis to fit; identifiers and numbers never are. When
    the table does not fit even so, the rows are printed as ``key: value`` blocks.
    Floats show ``digits`` significant digits (the JSON output has them all).
    ``tty`` makes the header bold. A column given as (key, header) shows the header in
    the table and the key in blocks.
    """
    lines = [title] if title else []
    if not rows:
        return lines
    keys = [c if isinstance(c, str) else c[0] for c in columns]
    heads = [c if isinstance(c, str) else c[1] for c in columns]
    cells = [[format_cell(r.get(k), digits) for k in keys] for r in rows]
    numeric = [all(_is_number(r.get(k)) or r.get(k) is None for r in rows) for k in keys]
    natural = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(heads)]
    floors = [
        min(n, max(len(h), MIN_CUT_WIDTH)) if k in cut and not num else n
        for n, num, k, h in zip(natural, numeric, keys, heads, strict=True)
    ]
    widths = _fit(natural, floors, width)
    if widths is None:
        return lines + _blocks(rows, keys, cells, width=width, note=note)

    def line(values: Sequence[str], *, bold: bool = False) -> str:
        parts = []
        for v, w, num in zip(values, widths, numeric, strict=True):
            text = _cut(v, w)
            text = text.rjust(w) if num else text.ljust(w)
            parts.append(click.style(text, bold=True) if bold else text)
        return _GAP.join(parts).rstrip()

    import textwrap

    lines.append(line(heads, bold=tty))
    lines.append(_GAP.join("-" * w for w in widths))
    for r, row in zip(rows, cells, strict=True):
        lines.append(line(row))
        if note and r.get(note):
            lines += textwrap.wrap(
                format_cell(r[note]),
                width=max(width, 20),
                initial_indent="    ",
                subsequent_indent="    ",
            )
    return lines


def _blocks(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    cells: list[list[str]],
    *,
    width: int,
    note: str | None,
) -> list[str]:
    """Rows too wide for a table as ``key: value`` blocks, long values wrapped."""
    import textwrap

    keys = [*columns, *([note] if note else [])]
    pad = max(len(k) for k in keys) + 2
    lines: list[str] = []
    for r, row in zip(rows, cells, strict=True):
        values = [*row, *([format_cell(r.get(note))] if note else [])]
        if lines:
            lines.append("")
        for k, v in zip(keys, values, strict=True):
            head = f"{k}:".ljust(pad)
            wrapped = textwrap.wrap(v, width=max(width - pad, 20)) or [""]
            lines.append((head + wrapped[0]).rstrip())
            lines += [" " * pad + more for more in wrapped[1:]]
    return lines


def _width() -> int:
    """The width output is fitted to: the terminal's, else ``COLUMNS``, else 80."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def echo_wrapped(text: str, *, indent: str = "", err: bool = False) -> None:
    """Print a sentence wrapped to the output width, continuation lines indented two more
    spaces than ``indent`` (library messages, reasons and notes can be long)."""
    import textwrap

    click.echo(
        textwrap.fill(
            text,
            width=max(_width(), 40),
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_on_hyphens=False,
        ),
        err=err,
    )


def _stdout_is_tty(file: IO[str] | None) -> bool:
    stream = file if file is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    title: str | None = None,
    *,
    note: str | None = None,
    cut: Sequence[str] = (),
    digits: int = 6,
    file: IO[str] | None = None,
) -> None:
    """Print ``rows`` (mappings) as a table of ``columns`` with ``title`` above it.

    The width is the terminal's when standard output is one, else ``COLUMNS`` or 80
    (:func:`shutil.get_terminal_size`); see :func:`render_table`.
    """
    width = _width()
    tty = _stdout_is_tty(file)
    lines = render_table(
        rows, columns, width=width, title=title, note=note, cut=cut, digits=digits, tty=tty
    )
    for text in lines:
        click.echo(text, file=file)
