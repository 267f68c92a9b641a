"""Migration files: ``NNNN_<name>.sql`` with a header, a checksum and a rollback section.

The checksum covers everything after the header (up and rollback), line endings
normalised to LF, so a file checked out with CRLF keeps its checksum.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from .errors import ChecksumMismatch, InvalidName, MigrationFileError
from .sqlsplit import split

ROLLBACK_MARKER = "-- @rollback"
NO_TRANSACTION_MARKER = "-- vertz:no-transaction"
DESTRUCTIVE_PREFIX = "-- vertz:destructive "
SIGN_HINT = "flask vertz-db migrate sign {name}"
FILE_RE = re.compile(r"^(\d{4,})_([a-z0-9_]+)\.sql$")
LOOSE_RE = re.compile(r"^\d+_.*\.sql$", re.I)
_HEADER_RE = re.compile(
    r"\A-- Migration: (?P<name>[^\n]*)\n-- Created: (?P<created>[^\n]*)\n"
    r"-- Checksum: (?P<checksum>[^\n]*)\n\n"
)
MAX_NAME = 80


def normalise(text: str) -> str:
    """Line endings to LF, a leading byte-order mark removed."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def checksum(body: str) -> str:
    return "sha256:" + hashlib.sha256(normalise(body).encode("utf-8")).hexdigest()


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

    @property
    def signed(self) -> bool:
        return self.checksum == self.actual_checksum

    @property
    def marked_no_transaction(self) -> bool:
        """The file asks to run outside a transaction (what that means per database is
        decided by :func:`vertz_engine.txmode.run_mode`)."""
        return NO_TRANSACTION_MARKER in self.up.splitlines()

    def up_statements(self) -> list[str]:
        return list(self._up_statements)

    @cached_property
    def _up_statements(self) -> tuple[str, ...]:
        return tuple(self._split(self.up))

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
                f"{self.path.name}: its contents do not match the checksum in its header "
                f"(edited after it was generated). If the edit is intended and the file is "
                f"not applied anywhere yet, re-sign it with `{SIGN_HINT.format(name=self.name)}`.",
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
    body = "".join(parts)
    return _with_header(name, created.strftime("%Y-%m-%dT%H:%M:%SZ"), body)


def _terminated(statement: str) -> str:
    s = statement.rstrip()
    return s if s.endswith(";") else s + ";"


def _with_header(name: str, created: str, body: str) -> str:
    return f"-- Migration: {name}\n-- Created: {created}\n-- Checksum: {checksum(body)}\n\n{body}"


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
    header = _HEADER_RE.match(text)
    if not header:
        raise MigrationFileError(
            f"{path.name}: the header is missing or malformed; it must start with the lines "
            f"'-- Migration:', '-- Created:', '-- Checksum:' and a blank line"
        )
    body = text[header.end() :]
    up, sep, rollback = body.partition("\n" + ROLLBACK_MARKER + "\n")
    if not sep:
        if body.startswith(ROLLBACK_MARKER + "\n"):
            up, rollback = "", body[len(ROLLBACK_MARKER) + 1 :]
        else:
            up, rollback = body, ""
    return MigrationFile(
        path=path,
        number=int(m.group(1)),
        name=path.stem,
        header_name=header.group("name").strip(),
        checksum=header.group("checksum").strip(),
        actual_checksum=checksum(body),
        created=header.group("created").strip(),
        up=up,
        rollback=rollback,
        dialect=dialect,
    )


def sign(path: Path) -> bool:
    """Rewrite the header checksum of ``path`` to match its body. True if it changed."""
    mf = parse(path)
    if mf.signed:
        return False
    text = normalise(path.read_text(encoding="utf-8"))
    header = _HEADER_RE.match(text)
    assert header is not None
    body = text[header.end() :]
    write_atomic(path, _with_header(header.group("name"), mf.created, body))
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
