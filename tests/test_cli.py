"""The ``flask vertz-db`` commands through the real Flask CLI runner, on SQLite files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, dev_app, run
from tests.oracle import expected_sqlite, reflect
from vertz_engine.files import migration_file


def oracle(models_fn, tmp_path: Path):  # type: ignore[no-untyped-def]
    return expected_sqlite(models_fn, tmp_path)


def test_init_is_idempotent_and_keeps_existing_files(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    r = run(app, "init")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "migrations" / "_snapshot.json").exists()
    assert (tmp_path / ".vertz" / "schema-snapshot.json").exists()
    assert ".vertz/" in (tmp_path / ".gitignore").read_text().splitlines()
    (tmp_path / "migrations" / "0001_x.sql").write_text("keep me")
    snap_before = (tmp_path / "migrations" / "_snapshot.json").read_bytes()
    r = run(app, "init")
    assert r.exit_code == 0, r.output
    assert "left as it is" in r.output
    assert (tmp_path / "migrations" / "0001_x.sql").read_text() == "keep me"
    assert (tmp_path / "migrations" / "_snapshot.json").read_bytes() == snap_before
    assert (tmp_path / ".gitignore").read_text().count(".vertz/") == 1


def test_the_whole_path(make_app: AppFactory, make_app_on, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    r = run(app, "migrate", "dev", "--name", "init")
    assert r.exit_code == 0, r.output
    assert "applied 0001_init" in r.output

    # the developer adds a column, restarts with boot on: boot applies it to the local DB
    app2 = make_app(models.v2)
    engine = make_app.engine(app2)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title, priority) VALUES ('kept', 3)"))
    r = run(app2, "migrate", "dev", "--name", "add_priority")
    assert r.exit_code == 0, r.output
    path = tmp_path / "migrations" / "0002_add_priority.sql"
    assert path.exists()
    assert "recorded 0002_add_priority as applied" in r.output  # not run twice
    mf = migration_file.parse(path)
    assert mf.signed
    text = path.read_text()
    assert re.search(r"-- Checksum: sha256:[0-9a-f]{64}\n", text)
    assert "ALTER TABLE todos ADD COLUMN priority INTEGER;" in mf.up
    assert "ALTER TABLE todos DROP COLUMN priority;" in mf.rollback

    # migrate deploy on a fresh database file builds exactly what create_all builds
    fresh = make_app_on(f"sqlite:///{tmp_path / 'fresh.db'}")
    prod = fresh(models.v2, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert "applied 0001_init" in r.output and "applied 0002_add_priority" in r.output
    prod_engine = fresh.engine(prod)
    assert reflect(prod_engine) == oracle(models.v2, tmp_path)

    # rollback returns the previous schema (in production, dropping a column needs --force);
    # status --json then lists the file as pending
    r = run(prod, "rollback")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: refusing to roll back in production without --force (VERTZ_ENV=production in "
        "the app config); the rollback SQL destroys data:\n"
        "  0002_add_priority.sql line 9 (rollback statement 1): drop column todos.priority "
        "(its values are lost)"
    )
    r = run(prod, "rollback", "--force")
    assert r.exit_code == 0, r.output
    assert "rolled back 0002_add_priority" in r.output
    assert reflect(prod_engine) == oracle(models.v1, tmp_path)
    r = run(prod, "status", "--json")
    assert r.exit_code == 0, r.output
    st = json.loads(r.output)
    assert [p["name"] for p in st["pending"]] == ["0002_add_priority"]
    assert [a["name"] for a in st["applied"]] == ["0001_init"]
    assert st["model_changes"] == []

    # and deploy again brings it back, rows of the dev DB were kept all along
    assert run(prod, "migrate", "deploy").exit_code == 0
    assert reflect(prod_engine) == oracle(models.v2, tmp_path)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT priority FROM todos")).scalar() == 3


def test_migrate_dev_applies_file_when_boot_is_off(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = dev_app(make_app, models.v3)
    r = run(app2, "migrate", "dev", "--name", "projects")
    assert r.exit_code == 0, r.output
    assert "applied 0002_projects" in r.output
    assert reflect(make_app.engine(app2)) == oracle(models.v3, tmp_path)
    # its rollback returns the v1 schema
    r = run(app2, "rollback")
    assert r.exit_code == 0, r.output
    assert reflect(make_app.engine(app2)) == oracle(models.v1, tmp_path)


def test_migrate_dev_without_changes_writes_nothing(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    r = run(app, "migrate", "dev", "--name", "again")
    assert r.exit_code == 0
    assert "No model changes: no migration file written." in r.output
    assert sorted(p.name for p in (tmp_path / "migrations").iterdir()) == [
        "0001_init.sql",
        "_snapshot.json",
    ]


def test_create_only_writes_without_applying(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    r = run(app, "migrate", "dev", "--name", "init", "--create-only")
    assert r.exit_code == 0, r.output
    assert sa.inspect(make_app.engine(app)).get_table_names() == []
    st = json.loads(run(app, "status", "--json").output)
    assert [p["name"] for p in st["pending"]] == ["0001_init"]


def test_hostile_names_are_slugified_or_refused(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    r = run(app, "migrate", "dev", "--name", "../../etc/Passwd; DROP", "--create-only")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "migrations" / "0001_etc_passwd_drop.sql").exists()
    app2 = dev_app(make_app, models.v2)
    r = run(app2, "migrate", "dev", "--name", "../..", "--create-only")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: migration name '../..' has no usable characters; use letters, digits and _"
    )
    assert sorted(p.name for p in (tmp_path / "migrations").iterdir()) == [
        "0001_etc_passwd_drop.sql",
        "_snapshot.json",
    ]


def test_corrupt_snapshot_is_one_clear_error(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    snap = tmp_path / "migrations" / "_snapshot.json"
    snap.write_text('{"format": 1, "tables": ')
    r = run(app, "migrate", "dev", "--name", "x")
    assert r.exit_code == 1
    assert r.output.startswith(
        f"Error: snapshot {snap} is corrupt (Expecting value at line 1). Restore it"
    )
    assert "Traceback" not in r.output
    assert snap.read_text() == '{"format": 1, "tables": '


def test_edited_file_is_refused_and_sign_fixes_it(
    make_app: AppFactory, make_app_on, tmp_path: Path
) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    path = tmp_path / "migrations" / "0001_init.sql"
    path.write_text(path.read_text().replace("CREATE TABLE todos", "CREATE TABLE  todos"))
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: 0001_init.sql: its contents do not match the checksum in its header (edited "
        "after it was generated). If the edit is intended and the file is not applied anywhere "
        "yet, re-sign it with `flask vertz-db migrate sign 0001_init`."
    )
    assert run(app, "check").exit_code == 2
    r = run(app, "migrate", "sign", "0001_init")
    assert r.exit_code == 0, r.output
    assert run(app, "migrate", "deploy").exit_code == 0
    assert reflect(make_app.engine(app)) == oracle(models.v1, tmp_path)


def test_crlf_line_endings_keep_the_checksum(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    path = tmp_path / "migrations" / "0001_init.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output


def test_check_exit_codes(make_app: AppFactory) -> None:
    app = dev_app(make_app, models.v1)
    r = run(app, "check")
    assert r.exit_code == 2
    assert "1 model change(s) are not in a migration file" in r.output
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    r = run(app, "check")
    assert r.exit_code == 0, r.output


def test_unreachable_database_is_one_message(make_app_on, tmp_path: Path) -> None:
    factory = make_app_on(f"sqlite:///{tmp_path}/no/such/dir/app.db")
    app = factory(models.v1, VERTZ_AUTO_APPLY=False)
    (tmp_path / "migrations").mkdir()  # status refuses a missing migrations folder
    r = run(app, "status")  # reading creates nothing: the file is simply not there yet
    assert r.exit_code == 0, r.output
    assert "Applied: 0" in r.output and not (tmp_path / "no").exists()
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert r.output.strip() == (
        f"Error: cannot connect to the database at sqlite:///{tmp_path}/no/such/dir/app.db: "
        "unable to open database file"
    )


def test_status_text_shows_pending_preview_and_model_changes(make_app: AppFactory) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    app2 = dev_app(make_app, models.v2)
    r = run(app2, "status")
    assert r.exit_code == 0, r.output
    assert "Pending: 1" in r.output
    assert "| CREATE TABLE todos (" in r.output
    assert "- add column todos.priority" in r.output
    assert run(app2, "status", "--exit-code").exit_code == 2


def test_cli_commands_do_not_boot_first(make_app: AppFactory, monkeypatch) -> None:
    import sys

    import click

    monkeypatch.setattr(sys, "argv", ["flask", "vertz-db", "status"])
    with click.Context(click.Command("flask")):
        app = make_app(models.v1)  # auto-apply is on, but we are loading for vertz-db
    assert sa.inspect(make_app.engine(app)).get_table_names() == []
