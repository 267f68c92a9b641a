"""Which environment an app runs in, and what that allows: development only where VERTZ_ENV,
NODE_ENV or Flask's debug mode say so; everything else (nothing set included) is production.
Real processes where a user would start one: gunicorn workers and ``flask run --debug``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_vertz import Vertz
from flask_vertz.config import ConfigError, environment, settings
from tests import models
from tests.helpers import AppFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("VERTZ_ENV", "NODE_ENV", "FLASK_DEBUG", "VERTZ_AUTO_APPLY"):
        monkeypatch.delenv(key, raising=False)


def _app(**config: object) -> Flask:
    app = Flask("envapp")
    app.config.update(config)
    return app


@pytest.mark.parametrize(
    "value, expected",
    [
        ("development", "development"),
        ("dev", "development"),
        ("Local", "development"),
        ("test", "development"),
        (" testing ", "development"),
        ("production", "production"),
        ("prod", "production"),
        ("staging", "production"),
        ("prodution", "production"),
        ("devel", "production"),
    ],
)
def test_only_development_values_are_not_production(
    value: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert environment(_app(VERTZ_ENV=value)).name == expected
    monkeypatch.setenv("VERTZ_ENV", value)
    assert environment(_app()).name == expected
    monkeypatch.delenv("VERTZ_ENV")
    monkeypatch.setenv("NODE_ENV", value)
    assert environment(_app()).name == expected


def test_order_config_then_variable_then_node_env_then_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert environment(_app()).name == "production"
    assert environment(_app()).source == "no VERTZ_ENV, NODE_ENV or Flask debug mode set"
    assert environment(_app(DEBUG=True)).name == "development"
    assert environment(_app(DEBUG=True)).source == "Flask debug mode"
    monkeypatch.setenv("NODE_ENV", "production")
    env = environment(_app(DEBUG=True))
    assert (env.name, env.source) == ("production", "NODE_ENV=production in the environment")
    monkeypatch.setenv("VERTZ_ENV", "dev")
    env = environment(_app(DEBUG=True))
    assert (env.name, env.source) == ("development", "VERTZ_ENV=dev in the environment")
    env = environment(_app(VERTZ_ENV="staging"))
    assert (env.name, env.source) == ("production", "VERTZ_ENV=staging in the app config")


def test_flask_debug_variable_means_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert environment(Flask("envapp")).name == "development"  # Flask reads FLASK_DEBUG


def test_a_start_with_nothing_set_changes_nothing(make_app: AppFactory, capsys) -> None:  # type: ignore[no-untyped-def]
    app = make_app(models.v1, VERTZ_ENV=None)
    assert sa.inspect(make_app.engine(app)).get_table_names() == []
    assert capsys.readouterr().err.strip() == (
        "flask-vertz: auto-apply is off (no VERTZ_ENV, NODE_ENV or Flask debug mode set);"
        " start with `flask run --debug` or set VERTZ_ENV=development to apply model changes"
        " at start, `flask vertz-db migrate deploy` to apply migrations"
    )


@pytest.mark.parametrize("value", ["prod", "staging", "prodution"])
def test_production_like_values_never_auto_apply(make_app: AppFactory, value: str) -> None:
    app = make_app(models.v1, VERTZ_ENV=value)
    assert sa.inspect(make_app.engine(app)).get_table_names() == []
    r = app.test_cli_runner().invoke(args=["vertz-db", "push"])
    assert r.exit_code == 1
    assert f"(VERTZ_ENV={value} in the app config)" in r.output


def test_refusal_names_the_variable_that_decided(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NODE_ENV", "production")
    app = make_app(models.v1, VERTZ_ENV=None)
    r = app.test_cli_runner().invoke(args=["vertz-db", "push"])
    assert r.exit_code == 1
    assert r.output.splitlines()[0] == (
        "Error: refusing to change the schema directly in production"
        " (NODE_ENV=production in the environment); generate a migration with"
        " `flask vertz-db migrate dev` and apply it with `flask vertz-db migrate deploy`"
    )
    assert "VERTZ_ENV=production" not in r.output


def test_debug_boot_applies(make_app: AppFactory) -> None:
    app = make_app(models.v1, VERTZ_ENV=None, DEBUG=True)
    assert "todos" in sa.inspect(make_app.engine(app)).get_table_names()


@pytest.mark.parametrize(
    "config, message",
    [
        (
            {"VERTZ_AUTO_APPLY": "flase"},
            "VERTZ_AUTO_APPLY must be true or false (1/0, yes/no, on/off), not 'flase'",
        ),
        (
            {"VERTZ_LOCK_TIMEOUT": "nan"},
            "VERTZ_LOCK_TIMEOUT must be a positive number of seconds, not 'nan'",
        ),
        (
            {"VERTZ_LOCK_TIMEOUT": float("inf")},
            "VERTZ_LOCK_TIMEOUT must be a positive number of seconds, not 'inf'",
        ),
        (
            {"VERTZ_LOCK_TIMEOUT": -1},
            "VERTZ_LOCK_TIMEOUT must be a positive number of seconds, not '-1'",
        ),
        (
            {"VERTZ_LOCK_TIMEOUT": "soon"},
            "VERTZ_LOCK_TIMEOUT must be a positive number of seconds, not 'soon'",
        ),
    ],
)
def test_bad_config_is_one_clear_error(
    make_app: AppFactory, config: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        make_app(models.v1, **config)
    assert info.value.message == message


def test_bad_auto_apply_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERTZ_AUTO_APPLY", "flase")
    with pytest.raises(ConfigError, match="not 'flase'"):
        settings(_app())


APP_MODULE = """
import os
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_vertz import Vertz

db = SQLAlchemy()


class Todo(db.Model):
    __tablename__ = "todos"
    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(200))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.environ["TODO_DB"]
    app.config["VERTZ_AUTO_APPLY"] = os.environ.get("TODO_AUTO_APPLY")
    db.init_app(app)
    Vertz(app, db)

    @app.get("/")
    def index():
        return "ok"

    return app
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tables(db: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _serve_until(cmd: list[str], cwd: Path, env: dict[str, str], ready: str) -> str:
    """Start a server process, wait (bounded) until its output shows ``ready``, stop it."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            if ready in line:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            out.append(proc.stdout.read())
            proc.stdout.close()
    text = "".join(out)
    assert ready in text, text
    return text


def _project(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "todoapp.py").write_text(textwrap.dedent(APP_MODULE))
    env = {k: v for k, v in os.environ.items() if k not in ("VERTZ_ENV", "NODE_ENV", "FLASK_DEBUG")}
    env["TODO_DB"] = str(tmp_path / "todo.db")
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    return env


def test_gunicorn_with_nothing_set_changes_nothing(tmp_path: Path) -> None:
    env = _project(tmp_path)
    port = _free_port()
    out = _serve_until(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "todoapp:create_app()",
        ],
        tmp_path,
        env,
        ready="auto-apply is off",
    )
    assert "Traceback" not in out
    assert not (tmp_path / "todo.db").exists() or _tables(tmp_path / "todo.db") == []


def test_flask_run_debug_applies(tmp_path: Path) -> None:
    env = _project(tmp_path)
    port = _free_port()
    out = _serve_until(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "todoapp",
            "run",
            "--debug",
            "--no-reload",
            "--port",
            str(port),
        ],
        tmp_path,
        env,
        ready="Running on",
    )
    assert "applied 1 model change(s)" in out
    assert "todos" in _tables(tmp_path / "todo.db")


def test_bad_config_under_the_flask_command_is_one_line(tmp_path: Path) -> None:
    env = _project(tmp_path)
    env["TODO_AUTO_APPLY"] = "flase"
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "todoapp", "vertz-db", "status"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "Error: VERTZ_AUTO_APPLY must be true or false (1/0, yes/no, on/off), not 'flase'"
    )


def test_engine_has_no_environment_of_its_own() -> None:
    """The Flask layer decides; an app without the extension's config still gets one."""
    db = SQLAlchemy()
    app = Flask("plain")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    vertz = Vertz(app, db)
    assert vertz.project(app).production
