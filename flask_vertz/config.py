"""The ``VERTZ_*`` configuration keys and environment detection."""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.helpers import get_root_path
from flask.sansio.scaffold import find_package

DEFAULTS: dict[str, Any] = {
    "VERTZ_ENV": None,
    "VERTZ_AUTO_APPLY": None,
    "VERTZ_MIGRATIONS_DIR": "migrations",
    "VERTZ_SNAPSHOT_PATH": ".vertz/schema-snapshot.json",
    "VERTZ_LOCK_TIMEOUT": 30.0,
    "VERTZ_DDL_LOCK_TIMEOUT": 2.0,
    "VERTZ_DDL_LOCK_RETRIES": 4,
    "VERTZ_BINDS": None,
}
#: The only values that mean "not production"; every other value is production.
DEVELOPMENT_VALUES = frozenset({"development", "dev", "local", "test", "testing"})
DEVELOPMENT = "development"
PRODUCTION = "production"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(click.ClickException):
    """A ``VERTZ_*`` setting that cannot be used. A click exception, so that the ``flask``
    command prints it as one line (``Error: ...``) and exits 1, with no traceback."""


@dataclass(frozen=True)
class Environment:
    """Which environment the app runs in, and what decided it (named in messages)."""

    name: str  # "development" or "production"
    source: str  # e.g. "VERTZ_ENV=prod (environment variable)", "Flask debug mode"

    @property
    def production(self) -> bool:
        return self.name == PRODUCTION


@dataclass(frozen=True)
class Base:
    """The folder relative ``VERTZ_*`` paths start from, and how it was chosen (for
    messages)."""

    path: Path
    what: str


def _explicit_root(app: Flask) -> bool:
    return Path(app.root_path) != Path(get_root_path(app.import_name))


def _importable(import_name: str) -> bool:
    try:
        return importlib.util.find_spec(import_name.partition(".")[0]) is not None
    except (ImportError, ValueError):  # __main__, or a name that is no module
        return False


def base_of(app: Flask) -> Base:
    """Next to the app's instance folder: the project root of a package app
    (``Path(app.instance_path).parent``), the module's folder for a one-module app. The
    app's ``root_path`` instead when Flask guessed the instance folder from the current
    directory (an import name that cannot be imported, ``__main__``), when the app was
    given its ``root_path``, or when the app is installed (its instance folder is then
    under the Python prefix, and shipped folders live in the package)."""
    explicit_instance = app.instance_path != app.auto_find_instance_path()
    if not explicit_instance and (
        _explicit_root(app)
        or not _importable(app.import_name)
        or find_package(app.import_name)[0] is not None
    ):
        return Base(Path(app.root_path), "the app's root_path")
    return Base(Path(app.instance_path).parent, "the folder that holds the app's instance folder")


@dataclass(frozen=True)
class Settings:
    environment: str
    environment_source: str
    auto_apply: bool
    auto_apply_source: str
    migrations_dir: Path
    snapshot_path: Path
    lock_timeout: float
    ddl_lock_timeout: float  # 0: no DDL lock timeout
    ddl_lock_retries: int
    root: Path
    binds: tuple[str, ...] | None  # None: every bind


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{key} must be true or false (1/0, yes/no, on/off), not {str(value)!r}")


def environment(app: Flask) -> Environment:
    """``VERTZ_ENV`` (app config, then environment variable), then ``NODE_ENV``, then
    Flask's debug mode decide; with none of them the app is in production. Only
    ``development``, ``dev``, ``local``, ``test`` and ``testing`` are non-production values."""
    for value, where in (
        (app.config.get("VERTZ_ENV"), "VERTZ_ENV={} in the app config"),
        (os.environ.get("VERTZ_ENV"), "VERTZ_ENV={} in the environment"),
        (os.environ.get("NODE_ENV"), "NODE_ENV={} in the environment"),
    ):
        text = str(value).strip() if value is not None else ""
        if text:
            name = DEVELOPMENT if text.lower() in DEVELOPMENT_VALUES else PRODUCTION
            return Environment(name, where.format(text))
    if app.debug:
        return Environment(DEVELOPMENT, "Flask debug mode")
    return Environment(PRODUCTION, "no VERTZ_ENV, NODE_ENV or Flask debug mode set")


def _lock_timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(
            f"VERTZ_LOCK_TIMEOUT must be a positive number of seconds, not {str(value)!r}"
        )
    return seconds


def _ddl_lock_timeout(value: Any) -> float:
    """Seconds; 0 (or off/false/none) turns the DDL lock timeout off."""
    if isinstance(value, str) and value.strip().lower() in {"off", "none", *_FALSE}:
        return 0.0
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ConfigError(
            f"VERTZ_DDL_LOCK_TIMEOUT must be a number of seconds (0 or off: none), "
            f"not {str(value)!r}"
        )
    return seconds


def _ddl_lock_retries(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise ConfigError(f"VERTZ_DDL_LOCK_RETRIES must be a whole number >= 0, not {text!r}")
    return int(text)


def settings(app: Flask) -> Settings:
    """Read the ``VERTZ_*`` keys; relative paths start from :func:`base_of`."""
    cfg = app.config
    env = environment(app)
    auto = cfg.get("VERTZ_AUTO_APPLY")
    auto_source = f"VERTZ_AUTO_APPLY={auto} in the app config"
    if auto is None or (isinstance(auto, str) and not auto.strip()):
        auto = os.environ.get("VERTZ_AUTO_APPLY")
        auto_source = f"VERTZ_AUTO_APPLY={auto} in the environment"
    if auto is None or (isinstance(auto, str) and not auto.strip()):
        auto_apply = not env.production
        auto_source = env.source
    else:
        auto_apply = _flag(auto, "VERTZ_AUTO_APPLY")
    root = base_of(app).path
    return Settings(
        environment=env.name,
        environment_source=env.source,
        auto_apply=auto_apply,
        auto_apply_source=auto_source,
        migrations_dir=root
        / Path(cfg.get("VERTZ_MIGRATIONS_DIR") or DEFAULTS["VERTZ_MIGRATIONS_DIR"]),
        snapshot_path=root
        / Path(cfg.get("VERTZ_SNAPSHOT_PATH") or DEFAULTS["VERTZ_SNAPSHOT_PATH"]),
        lock_timeout=_lock_timeout(cfg.get("VERTZ_LOCK_TIMEOUT", DEFAULTS["VERTZ_LOCK_TIMEOUT"])),
        ddl_lock_timeout=_ddl_lock_timeout(
            cfg.get("VERTZ_DDL_LOCK_TIMEOUT", DEFAULTS["VERTZ_DDL_LOCK_TIMEOUT"])
        ),
        ddl_lock_retries=_ddl_lock_retries(
            cfg.get("VERTZ_DDL_LOCK_RETRIES", DEFAULTS["VERTZ_DDL_LOCK_RETRIES"])
        ),
        root=root,
        binds=_binds(cfg.get("VERTZ_BINDS")),
    )


def _binds(value: Any) -> tuple[str, ...] | None:
    """``VERTZ_BINDS``: the binds flask-vertz manages (``default`` is the default bind), as
    a list or a comma-separated string; unset: every bind."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise ConfigError(f"VERTZ_BINDS must be a list of bind names, not {value!r}")
    names = tuple(dict.fromkeys("default" if i is None else str(i).strip() for i in items))
    if not names or not all(names):
        raise ConfigError(f"VERTZ_BINDS must name at least one bind, not {value!r}")
    return names
