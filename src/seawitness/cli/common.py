"""Shared CLI plumbing: finding the instance, printing tables, turning errors into messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from seawitness.errors import SeawitnessError
from seawitness.instance import Instance, InstanceError, find_instance

console = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])


def open_instance(ctx: click.Context) -> Instance:
    """The instance the command runs in: ``--instance``, or the nearest one above cwd."""
    obj = ctx.find_root().obj or {}
    root = obj.get("instance")
    db = obj.get("db")
    if root is None:
        root = find_instance()
    if root is None:
        raise click.ClickException(
            "not inside a seawitness instance (no seawitness.toml here or above).\n"
            "  Create one with:  seawitness init DIR   (or run: seawitness demo)"
        )
    try:
        return Instance.open(Path(root), db_url=db)
    except InstanceError as exc:
        raise click.ClickException(str(exc)) from None


class SeawitnessGroup(click.Group):
    """The root command group: the CLI's one place that turns the errors seawitness
    raises on purpose (:class:`~seawitness.errors.SeawitnessError`) into one clear line
    and exit status 1. Anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SeawitnessError as exc:
            raise click.ClickException(exc.diagnostics()) from None


def print_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None
) -> None:
    t = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*["" if r.get(c) is None else _fmt(r.get(c)) for c in columns])
    out.print(t)


def _fmt(v: Any) -> str:
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d %H:%M") + "Z"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")
