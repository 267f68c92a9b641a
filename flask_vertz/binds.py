"""Flask-SQLAlchemy binds as flask-vertz sees them: each managed bind has its own database,
migrations folder, snapshots and history. The default bind is named ``default`` and keeps
``VERTZ_MIGRATIONS_DIR``; bind ``NAME`` uses ``VERTZ_MIGRATIONS_DIR/NAME`` and the local
snapshot ``<snapshot>.NAME.json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa

from vertz_engine.dialects import known, traits

from .config import ConfigError

DEFAULT = "default"


def name_of(key: str | None) -> str:
    return DEFAULT if key is None else key


def key_of(name: str) -> str | None:
    return None if name == DEFAULT else name


def _available(engines: Mapping[str | None, sa.Engine]) -> list[str]:
    keys = sorted(engines, key=lambda k: (k is not None, k or ""))
    return [name_of(k) for k in keys]


def managed(
    engines: Mapping[str | None, sa.Engine],
    metadatas: Mapping[str | None, sa.MetaData],
    wanted: Sequence[str] | None,
) -> list[str]:
    """The binds flask-vertz manages: those named by ``VERTZ_BINDS``, else every bind that
    has a database (the default bind first, then the others by name)."""
    available = _available(engines)
    if wanted is None:
        return available
    return [n for n in wanted if n in available]


def check(
    engines: Mapping[str | None, sa.Engine],
    metadatas: Mapping[str | None, sa.MetaData],
    wanted: Sequence[str] | None,
) -> None:
    """Refuse at ``init_app`` a ``VERTZ_BINDS`` entry with no database, and two managed
    binds on one database (each keeps its own history table there)."""
    available = _available(engines)
    for name in wanted or ():
        if name not in available:
            raise ConfigError(unknown_bind_message(name, available, key="VERTZ_BINDS"))
    seen: dict[str, str] = {}
    for name in managed(engines, metadatas, wanted):
        url = engines[key_of(name)].url
        if _in_memory(url):
            continue  # in-memory databases are separate
        where = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
        if where in seen:
            raise ConfigError(
                f"binds {seen[where]} and {name} use the same database; flask-vertz keeps "
                f"one history per database: list only one of them in VERTZ_BINDS"
            )
        seen[where] = name


def _in_memory(url: sa.URL) -> bool:
    name = url.get_backend_name()
    return known(name) and traits(name).file_based and url.database in (None, "", ":memory:")


def unknown_bind_message(name: str, available: Sequence[str], *, key: str = "--bind") -> str:
    return (
        f"{key}: no bind named {name!r} (binds with a database: {', '.join(available) or 'none'}; "
        f"the default bind is named {DEFAULT!r})"
    )


def migrations_dir(base: Path, name: str) -> Path:
    return base if name == DEFAULT else base / name


def snapshot_path(base: Path, name: str) -> Path:
    return base if name == DEFAULT else base.with_name(f"{base.stem}.{name}{base.suffix}")
