"""Snapshot files on disk: the migrations snapshot and the local snapshot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from vertz_engine.errors import SnapshotError
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot


def load(path: Path, *, remedy: str) -> Snapshot | None:
    """The snapshot in ``path``; None if there is no file. ``remedy`` says how to recover
    from a corrupt file and is part of the error message."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from exc
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"snapshot {path} is corrupt ({exc.msg} at line {exc.lineno}). {remedy}"
        ) from exc
    try:
        return snap_mod.validate(data, f"snapshot {path}")
    except SnapshotError as exc:
        raise SnapshotError(f"{exc}. {remedy}") from exc


def save(path: Path, snap: Snapshot, *, fingerprint: str | None = None, **extra: Any) -> None:
    """Write ``snap`` (plus ``extra`` top-level keys) atomically; ``fingerprint`` where the
    caller already has it."""
    data = dict(snap)
    data.pop(DIGEST_KEY, None)  # proves only the snapshot it was saved with: given again or dropped
    data.update(extra)
    data["fingerprint"] = fingerprint or snap_mod.fingerprint(snap)
    from vertz_engine.files.migration_file import write_atomic  # not loaded by a boot's read

    write_atomic(path, snap_mod.dumps(data))


#: the digest of the models a local snapshot was made from (:mod:`vertz_engine.schema.digest`)
DIGEST_KEY = "models_digest"
_FINGERPRINT = re.compile(r'^  "fingerprint": "(sha256:[0-9a-f]{64})",?$', re.M)
_DIGEST = re.compile(rf'^  "{DIGEST_KEY}": "(blake2b:[0-9a-f]{{64}})",?$', re.M)


def read_head(path: Path) -> tuple[str | None, str | None]:
    """The fingerprint a saved snapshot declares and the digest of the models it was made
    from (None: not recorded), read from the head of the file only (the keys are sorted:
    ``dialect``, ``fingerprint``, ``format``, ``models_digest``, then ``tables``): no parse
    of the whole file on every boot."""
    try:
        with path.open("rb") as fh:
            head = fh.read(512).decode("utf-8", "replace")
    except OSError:
        return None, None
    head = head.partition('\n  "tables": ')[0]
    fp, digest = _FINGERPRINT.search(head), _DIGEST.search(head)
    return (fp.group(1) if fp else None), (digest.group(1) if digest else None)


def read_fingerprint(path: Path) -> str | None:
    """The fingerprint a saved snapshot declares (see :func:`read_head`)."""
    return read_head(path)[0]


def proven_fingerprint(path: Path, digest: str | None) -> str | None:
    """The fingerprint of the snapshot of models whose digest is ``digest``, when the
    snapshot saved in ``path`` was made from models with that digest; else None."""
    if digest is None:
        return None
    fp, saved = read_head(path)
    return fp if saved == digest else None
