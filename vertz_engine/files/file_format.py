"""The text of a migration file: its header, its markers and its checksum rule.

Every marker a file can hold (the header lines, ``-- @rollback``,
``-- vertz:no-transaction``, ``-- vertz:step``, ``-- vertz:destructive ...``,
``-- vertz:outside-transaction``, ``-- vertz:allow ...``) is spelled here and only here, and
the file markers are recognised with any case and any spaces or tabs around them, so a file
that an editor or a person spaced differently means the same thing everywhere. Everything
else that writes or reads a marker imports it from here.

The checksum covers the body (everything after the header), compared as a person reads
it: line endings as LF, no trailing spaces or tabs on any line, no blank lines at the end.
An editor's trim-on-save or pre-commit's ``trailing-whitespace`` and ``end-of-file-fixer``
hooks therefore never change it. Files signed under the earlier rule (the body byte for
byte) keep verifying: see :func:`legacy_checksums`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

ROLLBACK_MARKER = "-- @rollback"
NO_TRANSACTION_MARKER = "-- vertz:no-transaction"
DESTRUCTIVE_PREFIX = "-- vertz:destructive "
# a step boundary inside the up section: what follows runs as its own step (its own
# transaction, or none with ``no-transaction``) and deploy records progress per step
STEP_MARKER = "-- vertz:step"
STEP_NO_TRANSACTION_MARKER = "-- vertz:step no-transaction"
ALLOW_PREFIX = "-- vertz:allow "  # -- vertz:allow VZ101 <reason>: lint accepts one finding
HEADER_KEYS = ("Migration", "Created", "Checksum")
MIGRATION_KEY = HEADER_KEYS[0]  # ``-- Migration: <name>``: the name a file was created with
HEADER_LINES = ", ".join(f"'-- {key}:'" for key in HEADER_KEYS)  # for messages
# heads a statement PostgreSQL must commit before the migration's transaction may use its
# result (a new enum value): the plan writes it, the runner runs that statement on its own
OUTSIDE_TRANSACTION_MARKER = "-- vertz:outside-transaction"
# the generator's SQLite table rebuild copies ``t`` into ``_alembic_tmp_t`` (Alembic's name)
REBUILD_PREFIX = "_alembic_tmp_"

_SPACE = " \t\x0b\x0c"  # what trailing-whitespace fixers remove (bytes.rstrip())
_HEADER_LINE = re.compile(r"--[ \t]*(migration|created|checksum)[ \t]*:[ \t]*(.*?)[ \t]*", re.I)
_ROLLBACK = re.compile(r"--[ \t]*@[ \t]*rollback[ \t]*", re.I)
_NO_TRANSACTION = re.compile(r"--[ \t]*vertz[ \t]*:[ \t]*no-transaction[ \t]*", re.I)
_STEP = re.compile(r"--[ \t]*vertz[ \t]*:[ \t]*step(?:[ \t]+(no-transaction))?[ \t]*", re.I)
_ALLOW = re.compile(
    r"--[ \t]*vertz[ \t]*:[ \t]*allow[ \t]+([A-Za-z]+[0-9]+)\b[ \t]*(.*?)[ \t]*", re.I
)
_DESTRUCTIVE = re.compile(r"--[ \t]*vertz[ \t]*:[ \t]*destructive[ \t]+(.*?)[ \t]*", re.I)
# Where SQLAlchemy's DDL compiler left a space before a line break (", \n" between the
# columns of CREATE TABLE, " \nFROM" in INSERT ... SELECT): the trailing spaces of files
# generated before the whitespace rule, put back to check their legacy digests.
_CLAUSE = re.compile(
    r"(FROM|WHERE|GROUP|ORDER|HAVING|LIMIT|OFFSET|UNION|JOIN|LEFT|INNER|ON|SET|VALUES|"
    r"RETURNING)\b",
    re.I,
)


def normalise(text: str) -> str:
    """Line endings to LF, a leading byte-order mark removed."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def trim_lines(text: str) -> str:
    """``text`` with the trailing spaces and tabs of every line removed."""
    return "\n".join(line.rstrip(_SPACE) for line in text.split("\n"))


def canonical(body: str) -> str:
    """The body as the checksum sees it (see the module docstring)."""
    return trim_lines(normalise(body)).rstrip("\n")


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def checksum(body: str) -> str:
    """The checksum of a body under the current rule."""
    return _digest(canonical(body))


def legacy_checksums(body: str) -> frozenset[str]:
    """Digests under the earlier rule (the body byte for byte, LF line endings) of this body
    and of the texts it was before a whitespace trim, where the generator's own trailing
    spaces can be put back. A digest match proves the texts equal, so nothing is guessed:
    a generated file signed or applied before the rule changed still verifies after an
    editor trims it."""
    out = {_digest(normalise(body))}
    lines = canonical(body).split("\n")
    commas = [ln + " " if ln.endswith(",") else ln for ln in lines]
    clauses = [
        ln + " " if ln and i + 1 < len(lines) and _CLAUSE.match(lines[i + 1]) else ln
        for i, ln in enumerate(commas)
    ]
    for variant in (lines, commas, clauses):
        text = "\n".join(variant)
        out.update(_digest(text + end) for end in ("\n", ""))
    return frozenset(out)


def is_rollback_marker(line: str) -> bool:
    return _ROLLBACK.fullmatch(line.strip()) is not None


def is_no_transaction_marker(line: str) -> bool:
    return _NO_TRANSACTION.fullmatch(line.strip()) is not None


def step_marker(line: str) -> bool | None:
    """None when ``line`` is not a step marker; else whether the step asks to run outside a
    transaction (``-- vertz:step no-transaction``)."""
    m = _STEP.fullmatch(line.strip())
    return None if m is None else m.group(1) is not None


def destructive_note(line: str) -> str | None:
    """The note of a ``-- vertz:destructive <note>`` line, else None."""
    m = _DESTRUCTIVE.fullmatch(line.strip())
    return m.group(1) if m and m.group(1) else None


def allow_marker(line: str) -> tuple[str, str] | None:
    """The rule id (upper case) and reason of a ``-- vertz:allow RULE reason`` line."""
    m = _ALLOW.fullmatch(line.strip())
    return (m.group(1).upper(), m.group(2)) if m else None


@dataclass(frozen=True)
class FileText:
    """A migration file's text, taken apart."""

    name: str
    created: str
    checksum: str
    body: str  # everything after the header and its blank line
    up: str
    rollback: str


def split_text(text: str) -> FileText | None:
    """Take a file's text (already :func:`normalise`\\ d) apart; None when the header is
    missing or malformed (three lines ``-- Migration:``, ``-- Created:``,
    ``-- Checksum:`` in that order, then a blank line)."""
    lines = text.split("\n", 4)
    if len(lines) < 5 or lines[3].strip(_SPACE):
        return None
    values = []
    for key, line in zip(HEADER_KEYS, lines[:3], strict=True):
        m = _HEADER_LINE.fullmatch(line.rstrip(_SPACE))
        if m is None or m.group(1).lower() != key.lower():
            return None
        values.append(m.group(2))
    body = lines[4]
    up, rollback = split_sections(body)
    return FileText(values[0], values[1], values[2], body, up, rollback)


def split_sections(body: str) -> tuple[str, str]:
    """The up and rollback sections: the first line that is a rollback marker splits them."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if is_rollback_marker(line):
            return "\n".join(lines[:i]), "\n".join(lines[i + 1 :])
    return body, ""


def header(name: str, created: str, body: str) -> str:
    """A file's text: the header (with the checksum of ``body``) and the body."""
    values = (name, created, checksum(body))
    lines = [header_line(key, value) for key, value in zip(HEADER_KEYS, values, strict=True)]
    return "\n".join(lines) + "\n\n" + body


def header_line(key: str, value: str) -> str:
    """One header line: ``-- Migration: 0002_add_priority``."""
    return f"-- {key}: {value}"
