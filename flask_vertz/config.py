"""The ``VERTZ_*`` configuration keys and environment detection."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "VERTZ_ENV": None,
    "VERTZ_AUTO_APPLY": None,
    "VERTZ_MIGRATIONS_DIR": "migrations",
    "VERTZ_SNAPSHOT_PATH": ".vertz/schema-snapshot.json",
    "VERTZ_LOCK_TIMEOUT": 30.0,
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    environment: str
    auto_apply: bool
    migrations_dir: Path
    snapshot_path: Path
    lock_timeout: float
    root: Path


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RuntimeError(f"{key} must be true or false, not {value!r}")


def environment(app: Flask) -> str:
    """``VERTZ_ENV`` from config, then the environment variables ``VERTZ_ENV`` and
    ``NODE_ENV``, else ``development``."""
    for value in (
        app.config.get("VERTZ_ENV"),
        os.environ.get("VERTZ_ENV"),
        os.environ.get("NODE_ENV"),
    ):
        if value:
            return str(value).strip().lower()
    return "development"


def settings(app: Flask) -> Settings:
    """Read the ``VERTZ_*`` keys; relative paths are relative to ``app.root_path``."""
    cfg = app.config
    env = environment(app)
    auto = cfg.get("VERTZ_AUTO_APPLY")
    if auto is None:
        auto = os.environ.get("VERTZ_AUTO_APPLY")
    auto_apply = env != "production" if auto is None else _flag(auto, "VERTZ_AUTO_APPLY")
    root = Path(app.root_path)
    try:
        timeout = float(cfg.get("VERTZ_LOCK_TIMEOUT", DEFAULTS["VERTZ_LOCK_TIMEOUT"]))
    except (TypeError, ValueError):
        raise RuntimeError(
            f"VERTZ_LOCK_TIMEOUT must be a number of seconds, not {cfg.get('VERTZ_LOCK_TIMEOUT')!r}"
        ) from None
    return Settings(
        environment=env,
        auto_apply=auto_apply,
        migrations_dir=root
        / Path(cfg.get("VERTZ_MIGRATIONS_DIR") or DEFAULTS["VERTZ_MIGRATIONS_DIR"]),
        snapshot_path=root
        / Path(cfg.get("VERTZ_SNAPSHOT_PATH") or DEFAULTS["VERTZ_SNAPSHOT_PATH"]),
        lock_timeout=timeout,
        root=root,
    )
