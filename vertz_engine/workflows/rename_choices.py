"""Explicit rename decisions (``--rename``, ``--no-rename``): parsed, and refused when they
match no dropped + added pair (a typo would otherwise turn a rename into drop + add and lose
the values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vertz_engine.errors import InvalidName
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import Questioner, default_questioner
from vertz_engine.remedies import Option, Text


@dataclass(frozen=True)
class RenameChoices:
    """How probable renames are decided: the user's explicit decisions, then the questioner
    for the unsure guesses."""

    explicit: Mapping[str, str] | None = None
    questioner: Questioner = default_questioner


ASK = RenameChoices()  # no explicit decisions: the default questioner decides


def parse_renames(specs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["todos.title=name", "tasks=todos"]`` -> explicit rename decisions for :func:`diff`."""
    out: dict[str, str] = {}
    for spec in specs:
        old, sep, new = spec.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "." in new or old.count(".") > 1:
            raise InvalidName(
                Text(
                    Option.RENAME,
                    f" {spec!r}: expected table.old_column=new_column or old_table=new_table",
                )
            )
        out[old] = new
    return out


def check_renames(plan: Plan, renames: Mapping[str, str]) -> None:
    """Refuse explicit rename decisions that match no dropped + added pair."""
    keys = {c.key: c for c, _ok in plan.renames}
    for key, new in renames.items():
        cand = keys.get(key)
        accepted = any(c.key == key and c.new == new and ok for c, ok in plan.renames)
        if new and not accepted:
            what = "column" if "." in key else "table"
            dropped = [c.key for c, _ in plan.renames]
            hint = f" (probable renames here: {', '.join(sorted(set(dropped)))})" if dropped else ""
            raise InvalidName(
                Text(
                    Option.RENAME,
                    f" {key}={new}: the changes do not drop {what} {key} and add {new}{hint}",
                )
            )
        if not new and cand is None:
            raise InvalidName(
                Text(Option.NO_RENAME, f" {key}: no probable rename of {key} in these changes")
            )


def rename_decisions(rename: Sequence[str], no_rename: Sequence[str]) -> dict[str, str]:
    """Explicit rename decisions: ``table.old=new`` / ``old=new`` take the rename, a bare
    ``table.old`` / ``old`` takes drop + add (recorded as an empty new name)."""
    explicit = parse_renames(list(rename))
    for key in no_rename:
        explicit[key.strip()] = ""
    return explicit
