"""The unchanged boot, proven without building the snapshot of the models.

The local snapshot keeps, beside its fingerprint, the digest of the models it was made from
(:mod:`vertz_engine.schema.digest`). Models with that digest have that snapshot, so their
fingerprint is known from one pass over the models, and one query tells whether the
database has it. This module imports only what that takes (no planner, no Alembic, no
sqlparse), so a front end can check before it loads the workflows.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine

from vertz_engine.db import database, history
from vertz_engine.files import snapshot_file
from vertz_engine.schema.digest import models_digest


def proven(
    metadata: sa.MetaData, dialect: Dialect, local_snapshot_path: Path
) -> tuple[str | None, str | None]:
    """The digest of the models and, when the local snapshot was made from models with that
    digest, the fingerprint of their snapshot (else None: build the snapshot)."""
    digest = models_digest(metadata, dialect)
    return digest, snapshot_file.proven_fingerprint(local_snapshot_path, digest)


def unchanged(
    engine: Engine, metadata: sa.MetaData, local_snapshot_path: Path, *, lock_timeout: float
) -> bool:
    """True when the database provably has the models' schema (False: not proven, the
    full check decides)."""
    _, fp = proven(metadata, engine.dialect, local_snapshot_path)
    if fp is None:
        return False
    with database.connect(engine, lock_timeout=lock_timeout) as conn:
        return history.read_fingerprint(conn) == fp
