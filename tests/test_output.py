"""What the commands print for people and machines: ``check`` as text, JSON and GitHub
annotations; no colour with ``NO_COLOR`` or when piped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import models
from tests.helpers import AppFactory, in_pty, run


def _project_with_problems(make_app: AppFactory, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    path = tmp_path / "migrations" / "0001_init.sql"
    path.write_text(path.read_text() + "\n-- an edit\n")
    return make_app(models.v2, VERTZ_AUTO_APPLY=False)


def test_check_json(make_app: AppFactory, tmp_path: Path) -> None:
    app = _project_with_problems(make_app, tmp_path)
    for args in (["--json"], ["--format", "json"]):
        r = run(app, "check", *args)
        assert r.exit_code == 2
        doc = json.loads(r.output)
        assert doc["format"] == 1 and doc["ok"] is False
        assert doc["unsigned"] == ["0001_init"]
        assert [c["description"] for c in doc["model_changes"]] == ["add column todos.priority"]
        assert doc["model_changes"][0]["class"] == "safe"


def test_check_github_annotations(make_app: AppFactory, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    app = _project_with_problems(make_app, tmp_path)
    r = run(app, "check", "--format", "github")
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        "::error title=model change with no migration file::add column todos.priority: run "
        "`flask vertz-db migrate dev --name <what_changed>`",
        "::error file=migrations/0001_init.sql,line=3,title=checksum mismatch::0001_init: body "
        "does not match its checksum; `flask vertz-db migrate sign 0001_init`",
    ]


@pytest.mark.parametrize("no_color", [True, False])
def test_no_colour_with_no_color_or_when_piped(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = _project_with_problems(make_app, tmp_path)
    r = app.test_cli_runner().invoke(args=["vertz-db", "check"], color=not no_color)
    assert ("\x1b[" in r.output) is (not no_color)
    r = app.test_cli_runner().invoke(args=["vertz-db", "check"])  # not a terminal
    assert "\x1b[" not in r.output


def test_a_deploy_of_many_files_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    import os
    import sys
    import textwrap

    import sqlalchemy as sa

    from tests.test_environment import APP_MODULE, ROOT
    from vertz_engine import Project

    (tmp_path / "todoapp.py").write_text(textwrap.dedent(APP_MODULE))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'todo.db'}")
    project = Project(engine, sa.MetaData(), tmp_path / "migrations", tmp_path / "s.json")
    for i in range(12):
        project.new_migration(f"data_{i}")
    engine.dispose()
    env = {**os.environ, "TODO_DB": str(tmp_path / "todo.db"), "VERTZ_ENV": "production"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(ROOT)])
    cmd = [sys.executable, "-m", "flask", "--app", "todoapp", "vertz-db", "migrate", "deploy"]
    code, out = in_pty(cmd, tmp_path, env)
    assert code == 0, out
    assert "Deploying" in out and "100%" in out
    assert "applying 0001_data_0 ..." not in out
    assert out.count("applied 00") == 12


def _json(app, *args: str):  # type: ignore[no-untyped-def]
    r = run(app, *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_dry_runs_as_json_documents(make_app: AppFactory, tmp_path: Path) -> None:
    """``migrate dev``, ``migrate deploy`` and ``rollback`` dry runs as versioned documents
    whose keys are the README's, and nothing is written or run."""
    from tests.test_docs import documented_keys

    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    doc = _json(app, "migrate", "dev", "--name", "init", "--dry-run", "--json")
    assert set(doc) == {"format", "bind"} | documented_keys("migrate dev --dry-run --json")
    assert (doc["format"], doc["bind"], doc["dry_run"], doc["file"]) == (
        1,
        "default",
        True,
        "0001_init",
    )
    assert [c["description"] for c in doc["changes"]] == ["add table todos"]
    assert any(s.startswith("CREATE TABLE todos") for s in doc["statements"])
    assert doc["rollback_statements"] == ["DROP TABLE todos;"]
    assert not list((tmp_path / "migrations").glob("*.sql"))  # nothing written

    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = make_app(models.v2, VERTZ_AUTO_APPLY=False)
    assert run(app2, "migrate", "dev", "--name", "add_priority", "--create-only").exit_code == 0
    doc = _json(app2, "migrate", "deploy", "--dry-run", "--json")
    assert set(doc) == {"format", "bind"} | documented_keys("migrate deploy --dry-run --json")
    (pending,) = doc["pending"]
    assert pending["name"] == "0002_add_priority" and pending["destroys"] == []
    assert pending["file"] == str(tmp_path / "migrations" / "0002_add_priority.sql")
    assert pending["statements"] == ["ALTER TABLE todos ADD COLUMN priority INTEGER;"]

    doc = _json(app2, "rollback", "--dry-run", "--json")
    assert set(doc) == {"format", "bind"} | documented_keys("rollback --dry-run --json")
    (back,) = doc["rollbacks"]
    assert back["name"] == "0001_init" and back["statements"] == ["DROP TABLE todos;"]
    assert len(back["destroys"]) == 1 and "todos" in back["destroys"][0]
    status = _json(app2, "status", "--json")  # the dry runs changed nothing
    assert [p["name"] for p in status["pending"]] == ["0002_add_priority"]
    assert [a["name"] for a in status["applied"]] == ["0001_init"]


def test_dry_run_json_without_changes_and_json_alone(make_app: AppFactory) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    doc = _json(app, "migrate", "dev", "--name", "again", "--dry-run", "--json")
    assert (doc["file"], doc["changes"], doc["statements"]) == (None, [], [])
    assert _json(app, "migrate", "deploy", "--dry-run", "--json")["pending"] == []
    for args in (["migrate", "dev", "--name", "x"], ["migrate", "deploy"], ["rollback"]):
        r = run(app, *args, "--json")
        assert r.exit_code == 2 and "--json describes a dry run: add --dry-run" in r.output
    assert _json(app, "status", "--json")["applied"][0]["name"] == "0001_init"  # not rolled back


def test_dev_dry_run_text_writes_nothing(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    r = run(app, "migrate", "dev", "--name", "init", "--dry-run")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[:2] == ["Changes:", "  + add table todos"]
    assert "-- 0001_init.sql (not written)" in lines and "DROP TABLE todos;" in lines
    assert lines[-1] == "(dry run: no file was written, nothing was changed)"
    assert not (tmp_path / "migrations").exists() or not list(
        (tmp_path / "migrations").glob("*.sql")
    )
