"""Turning engine results into lines a person reads (colour only on a terminal: click
strips the styles when output is not a tty)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import click

from vertz_engine.diff import BLOCKING, DESTRUCTIVE, Change, Plan, RenameCandidate
from vertz_engine.project import ApplyResult

_LEVEL_COLOUR = {DESTRUCTIVE: "red", BLOCKING: "yellow"}


def warn(text: str) -> str:
    return click.style(text, fg="yellow")


def error(text: str) -> str:
    return click.style(text, fg="red", bold=True)


def ok(text: str) -> str:
    return click.style(text, fg="green")


def dim(text: str) -> str:
    return click.style(text, dim=True)


def change_line(change: Change) -> str:
    marker = {DESTRUCTIVE: "!", BLOCKING: "?"}.get(change.level, "+")
    text = f"  {marker} {change.describe_with_fact()}"
    colour = _LEVEL_COLOUR.get(change.level)
    return click.style(text, fg=colour) if colour else text


def rename_lines(plan_renames: Sequence[tuple[RenameCandidate, bool]]) -> Iterator[str]:
    for cand, accepted in plan_renames:
        key = cand.key
        desc = cand.describe()
        if accepted:
            yield (
                f"  ~ treated as a rename: {desc} (values kept); "
                f"to drop and add instead: --no-rename {key}"
            )
        else:
            yield (
                f"  ~ not treated as a rename: {desc} (drop + add); "
                f"to rename instead: --rename {key}={cand.new}"
            )


def plan_lines(plan: Plan) -> Iterator[str]:
    yield from rename_lines(plan.renames)
    for change in plan.changes():
        yield change_line(change)


def apply_lines(result: ApplyResult, prefix: str = "") -> Iterator[str]:
    if result.action == "unchanged":
        return
    if result.action == "adopted":
        yield f"{prefix}the database had tables but no flask-vertz record; compared it with the models"
    else:
        yield f"{prefix}applied {len(result.changes)} model change(s) to the database"
    yield from rename_lines(result.renames)
    for change in result.changes:
        yield change_line(change)
    for c in result.destructive:
        target = f"{c.table}.{c.column}" if c.column else c.table
        yield warn(
            f"{prefix}warning: destructive change applied: {c.kind.replace('_', ' ')} {target}"
        )
    for table in result.skipped:
        yield dim(f"{prefix}left alone: table {table} (not in the models)")
