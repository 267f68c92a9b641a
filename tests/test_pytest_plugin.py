"""The pytest plugin, as a user's project gets it: installed through the ``pytest11`` entry
point, found through the project's own ``app`` fixture, run by a real inner pytest process."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from vertz_engine.files import migration_file

EXAMPLE = Path(__file__).resolve().parent.parent / "example_app"

CONFTEST = """
import pytest
import sqlalchemy as sa

{models_patch}

from example_app import create_app


@pytest.fixture
def app(tmp_path):
    application = create_app(
        {{
            "SQLALCHEMY_DATABASE_URI": {url!r} or f"sqlite:///{{tmp_path / 'app.db'}}",
            "VERTZ_ENV": "production",
            "VERTZ_MIGRATIONS_DIR": {migrations!r},
            "VERTZ_SNAPSHOT_PATH": str(tmp_path / "snap.json"),
        }}
    )
    yield application
    from example_app.models import db

    with application.app_context():
        db.engine.dispose()
"""

DATA_TEST = """
def test_a_data_migration_keeps_rows(vertz_migrator):
    assert vertz_migrator.files == ["0001_init", "0002_add_projects"]
    assert vertz_migrator.migrate_to("0001_init") == ["0001_init"]
    vertz_migrator.insert(
        "todos", [{"id": 1, "title": "kept", "done": False, "created_at": __import__("datetime").datetime(2026, 1, 1)}]
    )
    assert vertz_migrator.migrate_to() == ["0002_add_projects"]
    assert [r["title"] for r in vertz_migrator.rows("todos")] == ["kept"]
    assert vertz_migrator.rollback() == ["0002_add_projects"]
    assert [r["title"] for r in vertz_migrator.rows("todos")] == ["kept"]


def test_each_test_gets_its_own_migrated_database(vertz_database):
    import sqlalchemy as sa

    engine = sa.create_engine(vertz_database)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM todos")).scalar() == 0
        conn.execute(sa.text("INSERT INTO projects (id, name) VALUES (1, 'x')"))
    engine.dispose()


def test_and_isolated(vertz_database):
    import sqlalchemy as sa

    engine = sa.create_engine(vertz_database)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM projects")).scalar() == 0
    engine.dispose()
"""

CHECKS = [
    "checksums",
    "numbering",
    "upgrade",
    "snapshot_matches_files",
    "files_build_the_models",
    "round_trips",
    "models_captured",
    "models_imported",
]


def _project(pytester: pytest.Pytester, *, url: str = "", models_patch: str = "") -> Path:
    migrations = pytester.path / "migrations"
    shutil.copytree(EXAMPLE / "migrations", migrations)
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text(
        CONFTEST.format(models_patch=models_patch, url=url, migrations=str(migrations))
    )
    (tests / "test_data.py").write_text(textwrap.dedent(DATA_TEST))
    return migrations


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    out = {}
    for line in result.outlines:
        m = re.match(r"^tests/?::vertz::(\w+) (PASSED|FAILED|SKIPPED)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # the user's project: its own package (here the example app) on the path
    pytester.makeini(f"[pytest]\npythonpath = {EXAMPLE.parent} .\n")
    return pytester.runpytest_subprocess("--vertz", "-v", "-p", "no:cacheprovider", *args)


def test_the_example_app_passes_every_check(pytester: pytest.Pytester) -> None:
    _project(pytester)
    result = _run(pytester)
    assert _outcomes(result) == dict.fromkeys(CHECKS, "PASSED"), result.stdout.str()
    result.assert_outcomes(passed=len(CHECKS) + 3)


def test_without_the_flag_only_the_users_tests_run(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.makeini(f"[pytest]\npythonpath = {EXAMPLE.parent} .\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def _one_red(result: pytest.RunResult, red: str) -> None:
    outcomes = _outcomes(result)
    assert outcomes == {c: ("FAILED" if c == red else "PASSED") for c in CHECKS}, (
        result.stdout.str()
    )


def test_an_edited_and_resigned_file_fails_the_snapshot_check(pytester: pytest.Pytester) -> None:
    migrations = _project(pytester)
    path = migrations / "0002_add_projects.sql"
    path.write_text(path.read_text().replace("VARCHAR(100)", "VARCHAR(120)"))
    migration_file.sign(path)
    _one_red(_run(pytester), "snapshot_matches_files")


def test_a_broken_rollback_fails_the_round_trip(pytester: pytest.Pytester) -> None:
    migrations = _project(pytester)
    path = migrations / "0002_add_projects.sql"
    text = path.read_text()
    head, _, rollback = text.partition("-- @rollback")
    path.write_text(head + "-- @rollback" + rollback.replace("DROP TABLE projects;", ""))
    migration_file.sign(path)
    result = _run(pytester)
    _one_red(result, "round_trips")
    assert "0002_add_projects: rollback then up failed" in result.stdout.str()


def test_a_model_change_without_a_file_fails_models_captured(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        models_patch=(
            "from example_app.models import Todo\n"
            "Todo.__table__.append_column(sa.Column('priority', sa.Integer))\n"
        ),
    )
    result = _run(pytester)
    _one_red(result, "models_captured")
    assert "model change with no migration file: add column todos.priority" in result.stdout.str()


def test_files_for_postgresql(pytester: pytest.Pytester, postgres_url: str, make_app_on) -> None:  # type: ignore[no-untyped-def]
    """The example models with files generated for PostgreSQL, checked on PostgreSQL."""
    migrations = pytester.path / "migrations"
    factory = make_app_on(postgres_url)
    from tests.models import v3

    app = factory(v3, VERTZ_MIGRATIONS_DIR=str(migrations), VERTZ_AUTO_APPLY=False)
    runner = app.test_cli_runner()
    for args in (["init"], ["migrate", "dev", "--name", "init", "--create-only"]):
        r = runner.invoke(args=["vertz-db", *args])
        assert r.exit_code == 0, r.output
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            from flask import Flask
            from flask_sqlalchemy import SQLAlchemy
            from flask_vertz import Vertz
            from tests_models import v3


            @pytest.fixture
            def app(tmp_path):
                db = SQLAlchemy()
                v3(db)
                application = Flask("pgapp")
                application.config.update(
                    SQLALCHEMY_DATABASE_URI={postgres_url!r},
                    VERTZ_ENV="production",
                    VERTZ_MIGRATIONS_DIR={str(migrations)!r},
                    VERTZ_SNAPSHOT_PATH=str(tmp_path / "snap.json"),
                )
                db.init_app(application)
                Vertz(application, db)
                yield application
                with application.app_context():
                    db.engine.dispose()
            """
        )
    )
    (tests / "test_nothing.py").write_text("def test_ok(app):\n    assert app\n")
    shutil.copyfile(Path(__file__).parent / "models.py", pytester.path / "tests_models.py")
    result = _run(pytester, f"--vertz-url={postgres_url}")
    assert _outcomes(result) == dict.fromkeys(CHECKS, "PASSED"), result.stdout.str()
