"""Rename guesses: is a dropped and an added column (or table) one rename?

The guess acts alone (at boot, and in ``push`` / ``migrate dev`` without a terminal) only
when it is *sure*: both names say the same words, spelled differently. That covers case and
style (``userName`` -> ``user_name``), singular and plural (``todo`` -> ``todos``), a common
abbreviation written out (``usr_id`` -> ``user_id``, ``descr`` -> ``description``) and a
prefix or suffix that adds no meaning (``tbl_orders`` -> ``orders``, ``active`` ->
``is_active``, ``created`` -> ``created_at``, the table's own name: ``title`` ->
``todo_title`` in ``todos``). Names that are merely alike (``first_name`` / ``last_name``,
``billing_address`` / ``shipping_address``, ``email`` / ``email_address``) are *unsure*:
asked about on a terminal with "no" as the default, treated as drop + add otherwise.
``tests/data/rename_corpus.py`` measures this on real renames and unrelated pairs.

The shapes must match too (type, nullability, primary key): the callers pair only such
columns and tables; a ``--rename`` decision pairs any two.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import inflection

from vertz_engine.remedies import Hint, Text

Confidence = Literal["sure", "unsure", "no"]
SURE: Confidence = "sure"
UNSURE: Confidence = "unsure"
NO: Confidence = "no"
_RANK: dict[Confidence, int] = {SURE: 0, UNSURE: 1, NO: 2}

# Abbreviations that stand for one thing only, as used in column and table names.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "acct": ("account",),
    "addr": ("address",),
    "amt": ("amount",),
    "attr": ("attribute",),
    "avg": ("average",),
    "cfg": ("config",),
    "cnt": ("count",),
    "cust": ("customer",),
    "dept": ("department",),
    "desc": ("description",),
    "descr": ("description",),
    "dest": ("destination",),
    "emp": ("employee",),
    "fname": ("first", "name"),
    "img": ("image",),
    "info": ("information",),
    "lat": ("latitude",),
    "lname": ("last", "name"),
    "lng": ("longitude",),
    "lon": ("longitude",),
    "max": ("maximum",),
    "min": ("minimum",),
    "msg": ("message",),
    "nbr": ("number",),
    "no": ("number",),
    "num": ("number",),
    "org": ("organization",),
    "organisation": ("organization",),
    "passwd": ("password",),
    "pct": ("percent",),
    "pwd": ("password",),
    "qty": ("quantity",),
    "ref": ("reference",),
    "src": ("source",),
    "tel": ("telephone",),
    "tmpl": ("template",),
    "ts": ("timestamp",),
    "usr": ("user",),
}
# Words that add no meaning to a name: before it (``is_active``, ``tbl_orders``) or after it
# (``created_at``). Not ``has_`` (``children`` -> ``has_children``) nor ``_id`` (``order``,
# a position, -> ``order_id``).
EMPTY_PREFIXES = frozenset({"is", "tbl"})
EMPTY_SUFFIXES = frozenset({"at"})
_EMPTY = EMPTY_PREFIXES | EMPTY_SUFFIXES
SIMILAR = 0.5  # difflib ratio of the spelled-out names from which a pair is worth a question


@dataclass(frozen=True)
class Verdict:
    confidence: Confidence
    reason: str


@functools.lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """``"userName"``, ``"user_name"``, ``"UserName"`` -> ``("user", "name")``; digits apart."""
    snake = inflection.underscore(name)
    parts = re.split(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", snake)
    return tuple(p for p in parts if p)


@functools.lru_cache(maxsize=4096)
def _singular(word: str) -> str:
    return word if word in _EMPTY else inflection.singularize(word)


def _spelled_out(ws: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for w in ws:
        out.extend(ABBREVIATIONS.get(w, (w,)))
    return tuple(_singular(w) for w in out)


def _strip(ws: tuple[str, ...], table_words: tuple[str, ...]) -> tuple[str, ...]:
    """``ws`` without the words that add no meaning (the table's own name as a prefix)."""
    if table_words and len(ws) > len(table_words) and ws[: len(table_words)] == table_words:
        ws = ws[len(table_words) :]
    while len(ws) > 1 and ws[0] in EMPTY_PREFIXES:
        ws = ws[1:]
    while len(ws) > 1 and ws[-1] in EMPTY_SUFFIXES:
        ws = ws[:-1]
    return ws


@functools.lru_cache(maxsize=4096)
def judge(old: str, new: str, table: str | None = None) -> Verdict:
    """How sure it is that ``old`` was renamed to ``new`` (columns of ``table``, or tables
    when ``table`` is None), judged from the names alone."""
    raw_old, raw_new = words(old), words(new)
    if not raw_old or not raw_new:  # no letters or digits to compare
        return Verdict(NO, "different names")
    a, b = _spelled_out(raw_old), _spelled_out(raw_new)
    if "".join(raw_old) == "".join(raw_new):
        return Verdict(SURE, "the same words in another case or style")
    if "".join(a) == "".join(b):
        singular = [_singular(w) for w in raw_old] == [_singular(w) for w in raw_new]
        return Verdict(SURE, "singular/plural" if singular else "an abbreviation written out")
    table_words = _spelled_out(words(table)) if table else ()
    if _strip(a, table_words) == b or a == _strip(b, table_words):
        return Verdict(SURE, "a prefix or suffix that adds no meaning")
    ratio = difflib.SequenceMatcher(None, "_".join(a), "_".join(b)).ratio()
    if ratio >= SIMILAR or set(a) <= set(b) or set(b) <= set(a):
        return Verdict(UNSURE, "similar names")
    return Verdict(NO, "different names")


@dataclass(frozen=True)
class RenameCandidate:
    """A dropped and an added table (``column`` False) or column that may be one rename."""

    table: str
    old: str
    new: str
    similarity: float
    column: bool = True
    confidence: Confidence = NO
    reason: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}.{self.old}" if self.column else self.old

    @property
    def sure(self) -> bool:
        return self.confidence == SURE

    def describe(self) -> str:
        if self.column:
            return f"column {self.table}.{self.old} -> {self.table}.{self.new}"
        return f"table {self.old} -> {self.new}"


Questioner = Callable[[RenameCandidate], bool]


def default_questioner(candidate: RenameCandidate) -> bool:
    """Answer without a terminal: a rename only when the guess is sure."""
    return candidate.sure


def candidate(table: str, old: str, new: str, *, column: bool = True) -> RenameCandidate:
    verdict = judge(old, new, table if column else None)
    ratio = difflib.SequenceMatcher(None, old.lower(), new.lower()).ratio()
    return RenameCandidate(table, old, new, ratio, column, verdict.confidence, verdict.reason)


def pairs(
    dropped: Iterable[str],
    added: Iterable[str],
    same_shape: Callable[[str, str], bool],
    make: Callable[[str, str], RenameCandidate],
    explicit: Mapping[str, str],
) -> list[RenameCandidate]:
    """Best-first one-to-one pairing of dropped and added names of the same shape (sure
    guesses first, then by similarity); an explicit decision pairs two names whatever their
    shapes."""
    dropped, added = list(dropped), list(added)
    forced = [make(o, n) for o in dropped for n in added if explicit.get(make(o, n).key) == n]
    scored = forced + sorted(
        (make(o, n) for o in dropped for n in added if same_shape(o, n)),
        key=lambda c: (_RANK[c.confidence], -c.similarity, c.old, c.new),
    )
    used_old: set[str] = set()
    used_new: set[str] = set()
    out = []
    for cand in scored:
        if cand.old in used_old or cand.new in used_new:
            continue
        used_old.add(cand.old)
        used_new.add(cand.new)
        out.append(cand)
    return out


def decide(
    candidates: list[RenameCandidate],
    explicit: Mapping[str, str],
    questioner: Questioner,
    decisions: list[tuple[RenameCandidate, bool]],
) -> dict[str, str]:
    """``{old: new}`` for the candidates taken as renames: an explicit decision first, then
    the questioner's answer. Each decision is appended to ``decisions``."""
    chosen: dict[str, str] = {}
    for cand in candidates:
        if cand.key in explicit:
            ok = explicit[cand.key] == cand.new
        elif cand.new in explicit.values():
            ok = False
        else:
            ok = questioner(cand)
        decisions.append((cand, ok))
        if ok:
            chosen[cand.old] = cand.new
    return chosen


def declined_hint(decisions: Iterable[tuple[RenameCandidate, bool]], remedy: Hint) -> Text:
    """For a message about what drop + add would do: the unsure guesses taken as drop + add,
    with ``remedy`` told to take them as renames (empty when there are none)."""
    unsure = [c for c, taken in decisions if not taken and c.confidence == UNSURE]
    if not unsure:
        return Text()
    pairs = tuple(f"{c.key}={c.new}" for c in unsure)
    what = "; ".join(c.describe() for c in unsure)
    return Text(
        f"\n(unsure rename guess taken as drop + add: {what}; if it is a rename: `",
        dataclasses.replace(remedy, renames=pairs),
        "`)",
    )
