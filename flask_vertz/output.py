"""Turning engine results into lines a person reads (colour only on a terminal: click
strips the styles when output is not a tty)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import click

from vertz_engine.losses import Loss
from vertz_engine.plan.model import BLOCKING, DESTRUCTIVE, Change, Plan
from vertz_engine.plan.renames import UNSURE, RenameCandidate

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.project import ApplyResult

from . import wording

_LEVEL_COLOUR = {DESTRUCTIVE: "red", BLOCKING: "yellow"}


def style(text: str, **styles: Any) -> str:
    """``click.style``, unless ``NO_COLOR`` is set (https://no-color.org); click itself
    drops the styles when the output is not a terminal (piped, a file, CI logs)."""
    if os.environ.get("NO_COLOR"):
        return text
    return click.style(text, **styles)


def warn(text: str) -> str:
    return style(text, fg="yellow")


def error(text: str) -> str:
    return style(text, fg="red", bold=True)


def ok(text: str) -> str:
    return style(text, fg="green")


def dim(text: str) -> str:
    return style(text, dim=True)


def loss_lines(losses: Sequence[Loss]) -> Iterator[str]:
    """Dry-run comment lines saying what a file's SQL destroys."""
    for loss in losses:
        yield error(f"-- ! destructive: {loss.text()}")


def change_line(change: Change) -> str:
    marker = {DESTRUCTIVE: "!", BLOCKING: "?"}.get(change.level, "+")
    text = f"  {marker} {change.describe_with_fact()}"
    colour = _LEVEL_COLOUR.get(change.level)
    return style(text, fg=colour) if colour else text


def rename_lines(
    plan_renames: Sequence[tuple[RenameCandidate, bool]], *, applied: bool = False
) -> Iterator[str]:
    """Each rename decision with the flag that reverses it. ``applied``: the changes already
    ran (boot, ``push``), so an unsure guess says what was done and how to take it back."""
    for cand, accepted in plan_renames:
        key, desc, flag = cand.key, cand.describe(), f"--rename {cand.key}={cand.new}"
        if accepted:
            yield (
                f"  ~ treated as a rename: {desc} (values kept); "
                f"to drop and add instead: --no-rename {key}"
            )
        elif cand.confidence != UNSURE:
            yield f"  ~ not treated as a rename: {desc} (drop + add); to rename instead: {flag}"
        elif applied:
            yield warn(
                f"  ~ not treated as a rename (unsure guess, {cand.reason}): {desc}: "
                f"{cand.old} was dropped and {cand.new} added, its values were not moved; "
                f"to take it as a rename: `flask vertz-db push {flag}` or "
                f"`flask vertz-db migrate dev --name <name> {flag}` (the dropped values are in "
                "the backup: `flask vertz-db restore`)"
            )
        else:
            yield (
                f"  ~ not treated as a rename (unsure guess, {cand.reason}): {desc} "
                f"(drop + add); to rename instead: {flag}"
            )


def plan_lines(plan: Plan) -> Iterator[str]:
    yield from rename_lines(plan.renames)
    for change in plan.changes():
        yield change_line(change)


def apply_lines(result: ApplyResult, prefix: str = "", *, applied: bool = True) -> Iterator[str]:
    if result.action == "unchanged":
        return
    if result.action == "adopted":
        yield f"{prefix}the database had tables but no flask-vertz record; compared it with the models"
    else:
        yield f"{prefix}applied {len(result.changes)} model change(s) to the database"
    yield from rename_lines(result.renames, applied=applied)
    for change in result.changes:
        yield change_line(change)
    for c in result.destructive:
        target = f"{c.table}.{c.column}" if c.column else c.table
        yield warn(
            f"{prefix}warning: destructive change applied: {c.kind.replace('_', ' ')} {target}"
        )
    for table in result.skipped:
        yield dim(f"{prefix}left alone: table {table} (not in the models)")
    for line in result.kept:
        yield warn(f"{prefix}left alone: {wording.words(line)}")
    yield from backup_lines(result, prefix)


def backup_lines(result: ApplyResult, prefix: str = "") -> Iterator[str]:
    """The backup a destructive change left, and what was put back from an earlier one."""
    kept = result.backup
    if kept is not None:
        for item in kept.items:
            if item.kind == "table" and item.change == "drop_table":
                yield warn(
                    f"{prefix}table {item.table} has {item.count} row(s) and is no longer in "
                    f"the models: is its model module imported before vertz.init_app?"
                )
        yield warn(
            f"{prefix}kept in backup {kept.name}: {kept.describe()}; bring it back with "
            f"`flask vertz-db restore {kept.name}`"
        )
    for done in result.restored:
        what = "row(s)" if done.item.kind == "table" else "value(s)"
        target = f"table {done.item.table}" if done.item.kind == "table" else done.item.target
        yield ok(f"{prefix}restored {done.restored} {what} of {target} from backup {done.backup}")
