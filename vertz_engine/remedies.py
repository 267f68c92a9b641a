"""What the user can do next, as data: the engine names a remedy (``Hint``) or a setting,
never a command line, flag or configuration key of its own. A front end words them as its
commands and keys (``flask_vertz.wording``); ``str()`` gives a neutral wording for scripts.

Messages that name a remedy are ``Text``: a sequence of plain strings, hints and settings,
joined with ``+`` like a string."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeAlias


class Remedy(enum.Enum):
    """An action a user takes through the front end."""

    MIGRATE_DEV = "migrate dev"  # name: the migration's name ("" = any), renames
    DEPLOY = "migrate deploy"  # out_of_order: with leave to apply files out of order
    ROLLBACK = "rollback"
    RESOLVE = "resolve"  # name; outcome: what the user says the database has
    RESTORE = "restore"  # name: the backup ("" = the last one)
    RESTORE_LIST = "restore list"
    SIGN = "migrate sign"  # name: the migration file
    DISCARD = "migrate discard"
    STATUS = "status"
    BASELINE = "baseline"
    PUSH = "push"  # renames


class Outcome(enum.Enum):
    """What ``resolve`` records: the migration's statements all ran, or none of them."""

    APPLIED = "applied"
    ROLLED_BACK = "rolled-back"


class Setting(enum.Enum):
    """A configuration value a message names."""

    LOCK_TIMEOUT = "lock timeout"
    MIGRATIONS_DIR = "migrations folder"


class Option(enum.Enum):
    """A choice given to a command (a message about a bad value names it)."""

    RENAME = "rename"
    NO_RENAME = "no-rename"
    STEPS = "steps"


@dataclass(frozen=True)
class Hint:
    """One remedy with its arguments. ``renames`` are ``table.column=new`` pairs to take as
    renames; ``outcome`` None means either outcome (the user chooses)."""

    remedy: Remedy
    name: str = ""
    outcome: Outcome | None = None
    renames: tuple[str, ...] = ()
    out_of_order: bool = False

    def __str__(self) -> str:
        return neutral(self)


def neutral(part: Hint | Setting | Option) -> str:
    """The wording for a front end that has none of its own."""
    if isinstance(part, (Setting, Option)):
        return str(part.value)
    words = [part.remedy.value]
    if part.name:
        words.append(part.name)
    if part.remedy is Remedy.RESOLVE:
        words.append(f"as {part.outcome.value}" if part.outcome else "as applied|rolled-back")
    if part.renames:
        words.append("with renames " + ", ".join(part.renames))
    if part.out_of_order:
        words.append("out of order")
    return " ".join(words)


Part: TypeAlias = "str | Hint | Setting | Option"
Words: TypeAlias = "Callable[[Hint | Setting | Option], str]"


class Text:
    """A message whose remedies and settings stay data until a front end words them."""

    __slots__ = ("parts",)

    def __init__(self, *parts: Part | Text) -> None:
        flat: list[Part] = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Text) else (p,))
        self.parts: tuple[Part, ...] = tuple(flat)

    def __add__(self, other: Part | Text) -> Text:
        return Text(self, other)

    def __radd__(self, other: Part | Text) -> Text:
        return Text(other, self)

    def __str__(self) -> str:
        return self.render(neutral)

    def __repr__(self) -> str:
        return f"Text{self.parts!r}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.parts == self.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def render(self, words: Words) -> str:
        return "".join(p if isinstance(p, str) else words(p) for p in self.parts)

    @property
    def hints(self) -> tuple[Hint, ...]:
        return tuple(p for p in self.parts if isinstance(p, Hint))

    @staticmethod
    def join(sep: str, items: Iterable[Part | Text]) -> Text:
        out: list[Part | Text] = []
        for i, item in enumerate(items):
            out.extend((sep, item) if i else (item,))
        return Text(*out)


def render(text: str | Text, words: Words) -> str:
    """``text`` in the words of a front end (plain strings pass through)."""
    return text.render(words) if isinstance(text, Text) else text
