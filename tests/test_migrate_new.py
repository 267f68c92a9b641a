"""``flask vertz-db migrate new``: an empty, signed file for hand-written SQL (a data
migration), deployed in order with the generated files."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests import models
from tests.helpers import AppFactory, run
from vertz_engine.files import migration_file


def test_new_writes_an_empty_signed_file_that_deploys(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init", "--create-only").exit_code == 0
    r = run(app, "migrate", "new", "--name", "Backfill Titles")
    assert r.exit_code == 0, r.output
    path = tmp_path / "migrations" / "0002_backfill_titles.sql"
    assert r.output.splitlines() == [
        f"wrote {path}",
        "Write its SQL (and the @rollback section), then re-sign it: "
        "flask vertz-db migrate sign 0002_backfill_titles",
    ]
    f = migration_file.parse(path)
    assert f.signed and f.up_statements() == [] and f.rollback_statements() == []
    assert "-- @rollback" in path.read_text()
    # nothing changes the models' record: no model change, the check is clean
    assert run(app, "check").exit_code == 0
    # the user writes a data migration, re-signs it, and deploys
    head, marker, rollback = path.read_text().partition("-- @rollback")
    path.write_text(
        head
        + "UPDATE todos SET title = upper(title);\n\n"
        + marker
        + rollback
        + "UPDATE todos SET title = lower(title);\n"
    )
    assert run(app, "migrate", "sign", "0002_backfill_titles").exit_code == 0
    prod = make_app(models.v1, VERTZ_ENV="production")
    r = run(prod, "migrate", "deploy", "--dry-run")
    assert "UPDATE todos SET title = upper(title);" in r.output
    assert run(prod, "migrate", "deploy").exit_code == 0
    engine = make_app.engine(prod)
    with engine.begin() as conn:
        applied = conn.execute(sa.text("SELECT name FROM _vertz_migrations ORDER BY id")).scalars()
        assert list(applied) == ["0001_init", "0002_backfill_titles"]


def test_new_slugifies_a_name_never_a_path(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    r = run(app, "migrate", "new", "--name", "../../etc")
    assert r.exit_code == 0, r.output
    assert [p.name for p in (tmp_path / "migrations").glob("*.sql")] == ["0001_etc.sql"]
