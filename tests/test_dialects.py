"""The same path on SQLite, PostgreSQL and MySQL/MariaDB (servers through
VERTZ_TEST_POSTGRES_URL / VERTZ_TEST_MYSQL_URL)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from tests import models
from tests.oracle import expected, reflect

_oracle = expected


def test_migrate_dev_deploy_rollback(make_app_on, fresh_url: Callable[[], str], tmp_path) -> None:
    url = fresh_url()
    factory = make_app_on(url)
    app = factory(models.v1, VERTZ_AUTO_APPLY=False)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["vertz-db", "migrate", "dev", "--name", "init"])
    assert r.exit_code == 0, r.output
    engine = factory.engine(app)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('kept')"))
    assert reflect(engine) == _oracle(models.v1, fresh_url())

    app3 = factory(models.v3, VERTZ_AUTO_APPLY=False)
    r = app3.test_cli_runner().invoke(args=["vertz-db", "migrate", "dev", "--name", "projects"])
    assert r.exit_code == 0, r.output
    assert reflect(engine) == _oracle(models.v3, fresh_url())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT title FROM todos")).scalar() == "kept"

    r = app3.test_cli_runner().invoke(args=["vertz-db", "rollback"])
    assert r.exit_code == 0, r.output
    assert reflect(engine) == _oracle(models.v1, fresh_url())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT title FROM todos")).scalar() == "kept"

    # a fresh database of the same kind: deploy builds exactly what create_all builds
    other = make_app_on(fresh_url())
    prod = other(models.v3, VERTZ_ENV="production")
    r = prod.test_cli_runner().invoke(args=["vertz-db", "migrate", "deploy"])
    assert r.exit_code == 0, r.output
    assert reflect(other.engine(prod)) == _oracle(models.v3, fresh_url())


def test_boot_applies_and_keeps_rows(make_app_on, fresh_url: Callable[[], str]) -> None:
    factory = make_app_on(fresh_url())
    app = factory(models.v1)
    engine = factory.engine(app)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO todos (title) VALUES ('kept')"))
    app2 = factory(models.v3)
    engine2 = factory.engine(app2)
    assert reflect(engine2) == _oracle(models.v3, fresh_url())
    with engine2.connect() as conn:
        assert conn.execute(sa.text("SELECT title FROM todos")).scalar() == "kept"
