"""A database whose bookkeeping tables were made by an earlier flask-vertz keeps working."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests import models
from vertz_engine import Project


def test_state_table_without_catalog_column(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    p = Project(engine, models.metadata_of(models.v1), tmp_path / "m", tmp_path / "s.json")
    p.migrate_dev("init")
    with engine.begin() as conn:  # what the table looked like before the catalog column
        conn.exec_driver_sql("DROP TABLE _vertz_state")
        conn.exec_driver_sql(
            "CREATE TABLE _vertz_state (id INTEGER PRIMARY KEY, fingerprint VARCHAR(80) NOT NULL, "
            "snapshot TEXT, updated_at VARCHAR(32) NOT NULL)"
        )
    p2 = Project(engine, models.metadata_of(models.v2), tmp_path / "m", tmp_path / "s.json")
    assert p2.status().pending == []
    p2.migrate_dev("priority")
    assert p2.status().db_drift == []
    assert p2.apply_models().action == "unchanged"
    p2.rollback()
    engine.dispose()
