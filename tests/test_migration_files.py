"""Migration files as users keep them: whitespace rules of the checksum, a missing or
mistyped folder, ``migrate discard``, a missing ``_snapshot.json``, byte-identical output,
and the file markers. Through the real CLI, on SQLite (and the servers where the dialect
matters)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import models
from tests.helpers import AppFactory, dev_app, run
from tests.oracle import expected, reflect
from vertz_engine.files import file_format

DEV = {"VERTZ_ENV": "development", "VERTZ_AUTO_APPLY": False}
PROD = {"VERTZ_ENV": "production", "VERTZ_AUTO_APPLY": False}


def dev(app: Flask, name: str, *extra: str) -> Path:
    r = run(app, "migrate", "dev", "--name", name, *extra)
    assert r.exit_code == 0, r.output
    m = re.search(r"wrote (\S+\.sql)", r.output)
    assert m, r.output
    return Path(m.group(1))


def clean_status(app: Flask) -> None:
    r = run(app, "status", "--exit-code")
    assert r.exit_code == 0, r.output
    assert "Checksum:" not in r.output and "Pending: none" in r.output


# -- 1. whitespace ---------------------------------------------------------------------------


def test_generated_sql_has_no_trailing_whitespace(
    make_app_on: Callable[[str], AppFactory], fresh_url: Callable[[], str]
) -> None:
    factory = make_app_on(fresh_url())
    app = factory(models.v1, **DEV)
    first = dev(app, "init")
    app = factory(models.v3, **DEV)
    second = dev(app, "more")  # on SQLite: a table rebuild (INSERT ... SELECT)
    for path in (first, second):
        text = path.read_bytes().decode()
        assert not [ln for ln in text.split("\n") if ln != ln.rstrip()], text
        assert text.endswith(";\n") and not text.endswith("\n\n")


def _variants(text: str) -> dict[str, str]:
    lines = text.split("\n")
    return {
        "trailing spaces added": "\n".join(ln + "  \t" if ln else ln for ln in lines),
        "trimmed": "\n".join(ln.rstrip() for ln in lines),
        "final newlines added": text + "\n\n\n",
        "final newline removed": text.rstrip("\n"),
        "crlf": text.replace("\n", "\r\n"),
    }


@pytest.mark.parametrize("variant", list(_variants("x")))
def test_whitespace_edits_keep_a_file_verifying(
    make_app: AppFactory, tmp_path: Path, variant: str
) -> None:
    app = make_app(models.v1, **DEV)
    path = dev(app, "init", "--create-only")
    path.write_bytes(_variants(path.read_text())[variant].encode())
    assert run(app, "check").exit_code == 0
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert "applied 0001_init" in r.output
    clean_status(app)
    # the applied file is trimmed again: no drift, nothing applied twice
    path.write_text("\n".join(ln.rstrip() for ln in path.read_text().split("\n")) + "\n\n")
    clean_status(app)
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0 and "No pending migrations" in r.output, r.output


def test_a_real_edit_still_fails_and_names_sign(make_app: AppFactory) -> None:
    app = make_app(models.v1, **DEV)
    path = dev(app, "init", "--create-only")
    path.write_text(path.read_text().replace("title VARCHAR(200)", "title VARCHAR(201)"))
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 1
    assert (
        "Error: 0001_init.sql: its contents do not match the checksum in its header (edited "
        "after it was generated). If the edit is intended and the file is not applied anywhere "
        "yet, re-sign it with `flask vertz-db migrate sign 0001_init`." in r.output
    )
    assert run(app, "check").exit_code == 2


def _to_legacy(path: Path) -> str:
    """Turn a generated file into what the earlier version wrote: SQLAlchemy's ", " line
    ends kept, and the digest of the body byte for byte in the header."""
    head, _, body = path.read_text().partition("\n\n")
    body = "\n".join(ln + " " if ln.endswith(",") else ln for ln in body.split("\n"))
    assert ", \n" in body
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    assert digest != file_format.checksum(body)
    head = re.sub(r"Checksum: \S+", f"Checksum: {digest}", head)
    path.write_text(f"{head}\n\n{body}")
    return digest


def _trim(path: Path) -> None:
    path.write_text("\n".join(ln.rstrip() for ln in path.read_text().split("\n")).rstrip() + "\n")
    assert " \n" not in path.read_text()


def test_an_old_style_file_still_verifies_before_and_after_a_trim(make_app: AppFactory) -> None:
    app = make_app(models.v1, **DEV)
    unapplied = dev(app, "init", "--create-only")
    legacy = _to_legacy(unapplied)
    assert run(app, "check").exit_code == 0
    clean_status_pending(app)
    _trim(unapplied)  # trimmed before it was applied: still verifies
    assert run(app, "check").exit_code == 0
    _to_legacy(unapplied)
    r = run(make_app(models.v1, **PROD), "migrate", "deploy")
    assert r.exit_code == 0 and "applied 0001_init" in r.output, r.output
    # as the earlier version recorded it: the legacy digest in the history row
    with make_app.engine(app).begin() as conn:
        conn.execute(sa.text("UPDATE _vertz_migrations SET checksum = :c"), {"c": legacy})
    clean_status(app)
    _trim(unapplied)  # pre-commit's hooks trim the applied file: no drift, nothing run again
    assert run(app, "check").exit_code == 0
    clean_status(app)
    r = run(make_app(models.v1, **PROD), "migrate", "deploy")
    assert r.exit_code == 0 and "No pending migrations" in r.output, r.output


def clean_status_pending(app: Flask) -> None:
    r = run(app, "status")
    assert r.exit_code == 0 and "Checksum:" not in r.output and "Pending: 1" in r.output, r.output


# -- 2. the folder ---------------------------------------------------------------------------


def test_deploy_and_status_refuse_a_missing_folder(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, **PROD, VERTZ_MIGRATIONS_DIR="migrashuns")
    expected_text = (
        f"Error: the migrations folder {tmp_path / 'migrashuns'} (VERTZ_MIGRATIONS_DIR="
        f"'migrashuns', relative to the app's root_path {tmp_path}) does not exist; nothing was "
        f"done. Set VERTZ_MIGRATIONS_DIR to the folder that holds the migration files, and check "
        f"that the folder is shipped with the app (a wheel or image without it deploys "
        f"nothing). To start one, run `flask vertz-db init`.\n"
    )
    for args in (("migrate", "deploy"), ("migrate", "deploy", "--dry-run"), ("status",)):
        r = run(app, *args)
        assert r.exit_code == 1, r.output
        assert r.output == expected_text


def test_a_folder_without_files_beside_history_is_refused(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(models.v1, **DEV)
    dev(app, "init")
    (tmp_path / "elsewhere").mkdir()
    url = make_app.url
    for config in (PROD, DEV):
        app = make_app(models.v1, **config, VERTZ_MIGRATIONS_DIR="elsewhere")
        for args in (("migrate", "deploy"), ("status", "--json")):
            r = run(app, *args)
            assert r.exit_code == 1, r.output
            assert r.output == (
                f"Error: the migrations folder {tmp_path / 'elsewhere'} (VERTZ_MIGRATIONS_DIR="
                f"'elsewhere', relative to the app's root_path {tmp_path}) holds no migration "
                f"files, but {url} has 1 applied migration(s) (the last: 0001_init). Set "
                f"VERTZ_MIGRATIONS_DIR to the folder that holds the migration files, and check "
                f"that the folder is shipped with the app (a wheel or image without it deploys "
                f"nothing).\n"
            )
    app = make_app(models.v2, **DEV, VERTZ_MIGRATIONS_DIR="elsewhere")
    r = run(app, "migrate", "dev", "--name", "again")
    assert r.exit_code == 1
    assert r.output == (
        f"Error: refusing to start a new 0001: the migrations folder {tmp_path / 'elsewhere'} "
        f"(VERTZ_MIGRATIONS_DIR='elsewhere', relative to the app's root_path {tmp_path}) holds "
        f"no migration files, but {url} has 1 applied migration(s) (the last: 0001_init). Set "
        f"VERTZ_MIGRATIONS_DIR to the folder that holds them.\n"
    )
    assert list((tmp_path / "elsewhere").iterdir()) == []
    app = make_app(models.v2, **DEV, VERTZ_MIGRATIONS_DIR="nowhere")
    r = run(app, "migrate", "dev", "--name", "again")
    assert r.exit_code == 1 and "refusing to start a new 0001" in r.output
    assert "nowhere (VERTZ_MIGRATIONS_DIR='nowhere'" in r.output and "does not exist" in r.output
    assert not (tmp_path / "nowhere").exists()
    # reset would drop everything and apply nothing: refused before anything is dropped
    r = run(app, "reset", "--yes")
    assert r.exit_code == 1 and "does not exist" in r.output
    assert "todos" in sa.inspect(make_app.engine(app)).get_table_names()


def test_an_empty_folder_and_an_empty_database_deploy_nothing(make_app: AppFactory) -> None:
    app = make_app(models.v1, **PROD)
    assert run(app, "init").exit_code == 0
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0 and "No pending migrations" in r.output, r.output


# -- 3. discard ------------------------------------------------------------------------------


def _snapshot_bytes(tmp_path: Path) -> dict[str, object]:
    """The migrations snapshot: its schema, fingerprint and steps ledger."""
    data = json.loads((tmp_path / "migrations" / "_snapshot.json").read_text())
    data.pop("undo", None)  # how to undo the last files: fewer after a discard
    return dict(data)


@pytest.mark.parametrize("how", ["rollback", "create-only"])
def test_discard_removes_the_last_file_and_rewinds_the_snapshot(
    make_app_on: Callable[[str], AppFactory],
    fresh_url: Callable[[], str],
    tmp_path: Path,
    how: str,
) -> None:
    url = fresh_url()
    factory = make_app_on(url)
    dev(factory(models.v1, **DEV), "init")
    before = _snapshot_bytes(tmp_path)
    app = factory(models.v3, **DEV)
    if how == "rollback":
        path = dev(app, "more")
        assert run(app, "rollback").exit_code == 0
    else:
        path = dev(app, "more", "--create-only")
    r = run(app, "migrate", "discard")
    assert r.exit_code == 0, r.output
    assert f"removed {path}" in r.output
    assert "now describes the schema of 0001_init (kept by migrate dev)" in r.output
    assert not path.exists()
    assert _snapshot_bytes(tmp_path) == before
    assert run(app, "check").exit_code == 2  # the model changes are not in a file again
    # the next development boot works from what the database and the snapshots say
    app = factory(models.v3, VERTZ_ENV="development", VERTZ_AUTO_APPLY=True)
    assert reflect(factory.engine(app)) == expected(models.v3, fresh_url())
    again = dev(app, "more")
    assert again.name == "0002_more.sql"
    clean_status(app)
    assert reflect(factory.engine(app)) == expected(models.v3, fresh_url())


def test_discard_refuses_applied_files_production_and_no_files(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(models.v1, **DEV)
    r = run(app, "migrate", "discard")
    assert r.exit_code == 1
    assert r.output == (
        f"Error: there are no migration files in {tmp_path / 'migrations'}: nothing to discard\n"
    )
    dev(app, "init")
    r = run(app, "migrate", "discard")
    assert r.exit_code == 1
    assert r.output == (
        f"Error: 0001_init is applied to {make_app.url}: roll it back first "
        f"(`flask vertz-db rollback`), then discard it\n"
    )
    app = make_app(models.v1, **PROD)
    r = run(app, "migrate", "discard")
    assert r.exit_code == 1
    assert "refusing to discard a migration file in production" in r.output
    assert (tmp_path / "migrations" / "0001_init.sql").exists()


def test_a_file_removed_by_hand_after_rollback_is_recovered(
    make_app: AppFactory, tmp_path: Path
) -> None:
    dev(make_app(models.v1, **DEV), "init")
    before = _snapshot_bytes(tmp_path)
    app = make_app(models.v2, **DEV)
    path = dev(app, "add_priority")
    assert run(app, "rollback").exit_code == 0
    path.unlink()
    problem = (
        f"{tmp_path / 'migrations' / '_snapshot.json'} includes the changes of 0002_add_priority, "
        f"but {path} is missing: restore the file, or, if you removed it on purpose and no "
        f"database has applied it, run `flask vertz-db migrate discard` to rewind _snapshot.json"
    )
    for args in (("check",), ("migrate", "dev", "--name", "x")):
        r = run(app, *args)
        assert r.exit_code == 1 and r.output == f"Error: {problem}\n", r.output
    assert problem in run(app, "status").output
    r = run(app, "migrate", "discard")
    assert r.exit_code == 0, r.output
    assert "forgot 0002_add_priority (its file was already removed)" in r.output
    assert _snapshot_bytes(tmp_path) == before
    assert dev(app, "add_priority").name == "0002_add_priority.sql"
    clean_status(app)


def test_a_second_discard_rebuilds_from_the_files(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, **DEV)
    dev(app, "init", "--create-only")
    after_init = _snapshot_bytes(tmp_path)
    app = make_app(models.v2, **DEV)
    dev(app, "add_priority", "--create-only")
    app = make_app(models.v3, **DEV)
    dev(app, "more", "--create-only")
    assert run(app, "migrate", "discard").exit_code == 0
    r = run(app, "migrate", "discard")
    assert r.exit_code == 0, r.output
    assert "now describes the schema of 0001_init" in r.output
    assert _snapshot_bytes(tmp_path) == after_init


# -- 4. a missing _snapshot.json ---------------------------------------------------------------


def test_a_missing_snapshot_is_rebuilt_from_the_files(
    make_app_on: Callable[[str], AppFactory],
    fresh_url: Callable[[], str],
    tmp_path: Path,
) -> None:
    factory = make_app_on(fresh_url())
    dev(factory(models.v1, **DEV), "init")
    snap = tmp_path / "migrations" / "_snapshot.json"
    snap.unlink()
    app = factory(models.v2, **DEV)
    r = run(app, "status")
    assert "it was rebuilt from the 1 migration file(s)" in r.output, r.output
    assert "add column todos.priority" in r.output and "add table" not in r.output
    path = dev(app, "add_priority")
    up = path.read_text().split("-- @rollback")[0]
    assert "CREATE TABLE" not in up and "priority" in up
    assert snap.exists()
    clean_status(app)
    assert reflect(factory.engine(app)) == expected(models.v2, fresh_url())


# -- 5. byte-identical output ------------------------------------------------------------------

_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import sqlalchemy as sa
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from flask_vertz import Vertz

    root = Path(sys.argv[1])

    def models(db, stage):
        for i in range(6 if stage == 1 else 5):
            cols = {
                "__tablename__": f"t{i}",
                "id": sa.Column(sa.Integer, primary_key=True),
                "b": sa.Column(sa.String(40 if stage == 1 else 60), index=True),
                "c": sa.Column(sa.Enum("x", "y", "z", name=f"e{i}")),
                "p": sa.Column(sa.ForeignKey(f"t{i - 1}.id", ondelete="CASCADE"))
                if i else sa.Column(sa.Integer),
            }
            if stage == 1:
                cols["a"] = sa.Column(sa.Integer, nullable=False, server_default="1")
                cols["__table_args__"] = (
                    sa.UniqueConstraint("a", "b", name=f"uq_t{i}_ab"),
                    sa.CheckConstraint("a > 0", name=f"ck_t{i}_a"),
                    sa.Index(f"ix_t{i}_ba", "b", "a"),
                )
            else:
                cols["d"] = sa.Column(sa.Integer, sa.CheckConstraint("d < 9", name=f"ck_t{i}_d"))
            type(f"T{i}", (db.Model,), cols)

    for stage in (1, 2):
        db = SQLAlchemy()
        models(db, stage)
        app = Flask("seedapp", root_path=str(root))
        app.config.update(SQLALCHEMY_DATABASE_URI=sys.argv[2], VERTZ_ENV="development",
                          VERTZ_AUTO_APPLY=False)
        db.init_app(app)
        Vertz().init_app(app, db)
        r = app.test_cli_runner().invoke(
            args=["vertz-db", "migrate", "dev", "--name", f"s{stage}", "--create-only"])
        assert r.exit_code == 0, r.output
    """
)


def test_generated_text_is_byte_identical_across_hash_seeds(
    dialect_kind: str, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    outputs = set()
    for seed in ("0", "1", "12345", "random"):
        root = tmp_path / f"seed{seed}"
        root.mkdir()
        url = fresh_url() if dialect_kind != "sqlite" else f"sqlite:///{root / 'a.db'}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(root), url],
            env=env,
            cwd=Path(__file__).parent.parent,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        texts = [(root / "migrations" / n).read_text() for n in ("0001_s1.sql", "0002_s2.sql")]
        texts = [re.sub(r"^-- Created: .*$", "-- Created: X", t, flags=re.M) for t in texts]
        outputs.add((*texts, (root / "migrations" / "_snapshot.json").read_text()))
    assert len(outputs) == 1


# -- 6. markers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    ["-- @rollback ", "--@rollback", "-- @ROLLBACK\t", "  --   @Rollback  ", "-- @ rollback"],
)
def test_rollback_marker_spellings(make_app: AppFactory, tmp_path: Path, marker: str) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    body = f"CREATE TABLE t (id INTEGER PRIMARY KEY);\n\n{marker}\n\nDROP TABLE t;\n"
    (folder / "0001_t.sql").write_text(
        "-- Migration: 0001_t\n-- Created: 2026-01-01T00:00:00Z\n"
        f"-- Checksum: {file_format.checksum(body)}\n\n{body}"
    )
    app = make_app(models.v1, **PROD)
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    engine = make_app.engine(app)
    assert "t" in sa.inspect(engine).get_table_names()
    r = run(app, "rollback", "--dry-run")
    assert "DROP TABLE t;" in r.output


@pytest.mark.parametrize(
    "line", ["-- vertz:no-transaction", "-- vertz:no-transaction  ", "--VERTZ:No-Transaction"]
)
def test_no_transaction_marker_spellings(line: str) -> None:
    assert file_format.is_no_transaction_marker(line)
    text = (
        "-- migration: 0001_x \n-- Created:2026 \n--  Checksum : sha256:abc\t\n \n"
        f"{line}\nSELECT 1;\n-- @rollback \nSELECT 2;\n"
    )
    parts = file_format.split_text(text)
    assert parts is not None
    assert (parts.name, parts.created, parts.checksum) == ("0001_x", "2026", "sha256:abc")
    assert parts.up == f"{line}\nSELECT 1;" and parts.rollback == "SELECT 2;\n"


def test_discard_without_an_undo_ledger_rebuilds_from_the_files(
    make_app_on: Callable[[str], AppFactory],
    fresh_url: Callable[[], str],
    tmp_path: Path,
) -> None:
    factory = make_app_on(fresh_url())
    dev(factory(models.v1, **DEV), "init", "--create-only")  # no database holds its schema
    app = factory(models.v2, **DEV)
    dev(app, "add_priority", "--create-only")
    snap = tmp_path / "migrations" / "_snapshot.json"
    data = json.loads(snap.read_text())
    del data["undo"]  # a snapshot written before the ledger existed
    snap.write_text(json.dumps(data))
    r = run(app, "migrate", "discard")
    assert r.exit_code == 0, r.output
    assert "now describes the schema of 0001_init (rebuilt from the files)" in r.output
    path = dev(app, "add_priority")
    up = path.read_text().split("-- @rollback")[0]
    assert "CREATE TABLE" not in up and "priority" in up, up
    clean_status(app)
    assert reflect(factory.engine(app)) == expected(models.v2, fresh_url())


def test_a_hand_written_file_from_migrate_new_is_discarded_exactly(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(models.v1, **DEV)
    dev(app, "init")
    before = _snapshot_bytes(tmp_path)
    r = run(app, "migrate", "new", "--name", "backfill")
    assert r.exit_code == 0, r.output
    r = run(app, "migrate", "discard")
    assert r.exit_code == 0, r.output
    assert "schema of 0001_init (kept by migrate dev)" in r.output
    assert not (tmp_path / "migrations" / "0002_backfill.sql").exists()
    assert _snapshot_bytes(tmp_path) == before


def test_deleted_unapplied_file_is_noticed(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = dev_app(make_app, models.v2)
    assert run(app2, "migrate", "dev", "--name", "prio", "--create-only").exit_code == 0
    (tmp_path / "migrations" / "0002_prio.sql").unlink()
    for args in (("migrate", "dev", "--name", "again"), ("check",)):
        r = run(app2, *args)
        assert r.exit_code == 1, r.output
        assert "0002_prio, but" in r.output and "is missing: restore the file" in r.output


@pytest.mark.parametrize(
    "text, problem",
    [
        (
            '{"format":1,"dialect":"sqlite","tables":{"t":{"columns":[{}]}}}',
            "a column has no valid 'name'",
        ),
        ('{"format":1,"dialect":"sqlite","tables":{"t":{"columns":[]}}}', "no columns"),
        ("[1, 2]", "is not a flask-vertz snapshot"),
    ],
)
def test_malformed_snapshot_shape_is_one_message(
    make_app: AppFactory, tmp_path: Path, text: str, problem: str
) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    (tmp_path / "migrations" / "_snapshot.json").write_text(text)
    for args in (("migrate", "dev", "--name", "x"), ("check",), ("status",), ("init",)):
        r = run(app, *args)
        assert r.exit_code == 1, (args, r.output)
        assert problem in r.output and "Traceback" not in r.output


def test_badly_named_file_is_refused(make_app: AppFactory, tmp_path: Path) -> None:
    app = dev_app(make_app, models.v1)
    assert run(app, "init").exit_code == 0
    (tmp_path / "migrations" / "0003_AddIndex.sql").write_text("SELECT 1;")
    r = run(app, "status")
    assert r.exit_code == 1
    assert "0003_AddIndex.sql: migration file names are NNNN_name.sql" in r.output
