"""Migration files: ``NNNN_<name>.sql`` with a header, a checksum and a rollback section.

The text format (header, markers, the checksum rule) lives in :mod:`.file_format`.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from vertz_engine.errors import ChecksumMismatch, InvalidName, MigrationFileError
from vertz_engine.files import file_format
from vertz_engine.files.file_format import (
    ROLLBACK_MARKER,
    STEP_MARKER,
    STEP_NO_TRANSACTION_MARKER,
    checksum,
    normalise,
)
from vertz_engine.files.sqlsplit import split
from vertz_engine.remedies import Hint, Remedy, Text

FILE_RE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.sql$")
LOOSE_RE = re.compile(r"^\d+_.*\.sql$", re.I)
MAX_NAME = 80


def slugify(name: str) -> str:
    """A safe migration name (``[a-z0-9_]``) from user input; raises :class:`InvalidName`."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:MAX_NAME].strip("_")
    if not slug:
        raise InvalidName(
            f"migration name {name!r} has no usable characters; use letters, digits and _"
        )
    return slug


@dataclass(frozen=True)
class FileStep:
    """One step of a file's up section: statements ``first`` .. ``last`` (1-based, counted
    over the whole section), run in their own transaction unless ``no_transaction``."""

    statements: tuple[str, ...]
    no_transaction: bool
    first: int

    @property
    def last(self) -> int:
        return self.first + len(self.statements) - 1


def _leading_marker(statement: str) -> bool | None:
    """The step marker among a statement's leading comment lines (the last one wins)."""
    found = None
    for line in statement.splitlines():
        if not line.strip().startswith("--"):
            break
        mark = file_format.step_marker(line)
        found = mark if mark is not None else found
    return found


@dataclass(frozen=True)
class MigrationFile:
    """One parsed migration file."""

    path: Path
    number: int
    name: str  # the file stem, e.g. ``0002_add_priority``; the history row's name
    header_name: str  # ``-- Migration: <name>``: the name it was created with (its identity)
    checksum: str  # from the header
    actual_checksum: str  # of the body as it is now
    created: str
    up: str
    rollback: str
    dialect: str | None = None  # the database's: decides how strings and bodies are read
    body: str = ""  # up and rollback as written, for the digests of the earlier rule

    @property
    def signed(self) -> bool:
        return self.matches(self.checksum)

    def matches(self, digest: str) -> bool:
        """Whether ``digest`` (a header's or a history row's) is this body's checksum, under
        the current rule or the earlier one (see :func:`file_format.legacy_checksums`)."""
        return digest == self.actual_checksum or digest in self._legacy

    @cached_property
    def _legacy(self) -> frozenset[str]:
        return file_format.legacy_checksums(self.body)

    @property
    def marked_no_transaction(self) -> bool:
        """The file asks to run outside a transaction (what that means per database is
        decided by :func:`vertz_engine.files.txmode.run_mode`)."""
        return any(file_format.is_no_transaction_marker(ln) for ln in self.up.splitlines())

    def up_statements(self) -> list[str]:
        return list(self._up_statements)

    @cached_property
    def _up_statements(self) -> tuple[str, ...]:
        return tuple(self._split(self.up))

    def steps(self) -> list[FileStep] | None:
        """The up section's steps; None for a file without ``-- vertz:step`` markers (it
        runs as one unit, as it always did). Statements before the first marker are a step
        of their own. Rollback sections have no steps: they undo what a file added, with
        short locks (drops), and run as one unit."""
        statements = self._up_statements
        marks = [_leading_marker(s) for s in statements]
        if all(m is None for m in marks):
            return None
        out: list[FileStep] = []
        start, no_tx = 0, bool(marks[0])
        for i in range(1, len(statements) + 1):
            if i == len(statements) or marks[i] is not None:
                if i > start:
                    out.append(FileStep(statements[start:i], no_tx, start + 1))
                if i < len(statements):
                    start, no_tx = i, bool(marks[i])
        return out

    def rollback_statements(self) -> list[str]:
        return self._split(self.rollback)

    def _split(self, text: str) -> list[str]:
        try:
            return split(text, dialect=self.dialect)
        except MigrationFileError as exc:
            raise MigrationFileError(f"{self.path.name}: {exc}") from None

    def verify(self) -> None:
        """Raise :class:`ChecksumMismatch` when the body was edited after signing."""
        if not self.signed:
            raise ChecksumMismatch(
                Text(
                    f"{self.path.name}: its contents do not match the checksum in its header "
                    "(edited after it was generated). If the edit is intended and the file is "
                    "not applied anywhere yet, re-sign it with `",
                    Hint(Remedy.SIGN, self.name),
                    "`.",
                ),
                name=self.name,
            )


def render(
    name: str,
    up: list[str],
    rollback: list[str],
    *,
    created: datetime | None = None,
    up_notes: list[str] | None = None,
    rollback_notes: list[str] | None = None,
) -> str:
    """The text of a new migration file."""
    created = created or datetime.now(timezone.utc)
    up_text = "\n\n".join(_terminated(s) for s in up)
    rb_text = "\n\n".join(_terminated(s) for s in rollback)
    parts = []
    if up_notes:
        parts.append("\n".join(up_notes) + "\n\n")
    parts.append(up_text + "\n\n" if up_text else "")
    parts.append(ROLLBACK_MARKER + "\n")
    if rollback_notes:
        parts.append("\n".join(rollback_notes) + "\n")
    if rb_text:
        parts.append("\n" + rb_text + "\n")
    # SQLAlchemy's DDL leaves spaces at line ends (", \n" in CREATE TABLE): none in a file
    body = file_format.trim_lines("".join(parts))
    return file_format.header(name, created.strftime("%Y-%m-%dT%H:%M:%SZ"), body)


def with_step_markers(steps: list[tuple[list[str], bool]]) -> list[str]:
    """Statements, each step's first one headed by its ``-- vertz:step`` marker; a first
    step that runs in a transaction needs none (a file of one such step is a plain file)."""
    out: list[str] = []
    for statements, no_transaction in steps:
        if not statements:
            continue
        first, *rest = statements
        if no_transaction:
            first = f"{STEP_NO_TRANSACTION_MARKER}\n{first}"
        elif out:
            first = f"{STEP_MARKER}\n{first}"
        out += [first, *rest]
    return out


def _terminated(statement: str) -> str:
    s = statement.rstrip()
    return s if s.endswith(";") else s + ";"


def parse(path: Path, *, dialect: str | None = None) -> MigrationFile:
    """Read and parse a migration file (the checksum is read, not enforced: see ``verify``);
    its statements are split by the rules of ``dialect``, the database's."""
    m = FILE_RE.match(path.name)
    if not m:
        raise MigrationFileError(f"{path.name}: not a migration file name (NNNN_name.sql)")
    try:
        text = normalise(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationFileError(f"{path}: cannot be read ({exc})") from exc
    parts = file_format.split_text(text)
    if parts is None:
        raise MigrationFileError(
            f"{path.name}: the header is missing or malformed; it must start with the lines "
            f"{file_format.HEADER_LINES} and a blank line"
        )
    return MigrationFile(
        path=path,
        number=int(m.group(1)),
        name=path.stem,
        header_name=parts.name,
        checksum=parts.checksum,
        actual_checksum=checksum(parts.body),
        created=parts.created,
        up=parts.up,
        rollback=parts.rollback,
        dialect=dialect,
        body=parts.body,
    )


def sign(path: Path) -> bool:
    """Rewrite the header checksum of ``path`` to match its body. True if it changed."""
    mf = parse(path)
    if mf.signed:
        return False
    parts = file_format.split_text(normalise(path.read_text(encoding="utf-8")))
    assert parts is not None
    write_atomic(path, file_format.header(parts.name, mf.created, parts.body))
    return True


def list_files(directory: Path, *, dialect: str | None = None) -> list[MigrationFile]:
    """All migration files in ``directory``, in number order (then name), read for ``dialect``."""
    if not directory.is_dir():
        return []
    for p in directory.iterdir():
        if p.suffix.lower() == ".sql" and LOOSE_RE.match(p.name) and not FILE_RE.match(p.name):
            raise MigrationFileError(
                f"{p.name}: migration file names are NNNN_name.sql with a name of a-z, 0-9 and _ "
                f"(rename it, e.g. to {p.name.split('_')[0]}_{slugify(p.stem.partition('_')[2] or 'x')}.sql)"
            )
    files = [
        parse(p, dialect=dialect)
        for p in directory.iterdir()
        if p.is_file() and FILE_RE.match(p.name)
    ]
    return sorted(files, key=lambda f: (f.number, f.name))


def next_path(directory: Path, name: str) -> Path:
    """The path of a new file named ``name`` (already slugified) after the existing ones."""
    numbers = [int(m.group(1)) for p in directory.glob("*.sql") if (m := FILE_RE.match(p.name))]
    number = max(numbers, default=0) + 1
    path = directory / f"{number:04d}_{name}.sql"
    if path.resolve().parent != directory.resolve():
        raise InvalidName(f"refusing migration path {path}")
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
