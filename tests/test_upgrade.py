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


def _docs(computed: bool) -> sa.MetaData:
    md = sa.MetaData()
    total = [sa.Computed("price * 2", persisted=True)] if computed else []
    t = sa.Table(
        "docs",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("price", sa.Integer),
        sa.Column("total", sa.Integer, *total),
    )
    sa.Index("ix_docs_price", t.c.price, sqlite_where=t.c.price > 0)
    return md


def test_snapshot_written_before_schema_features_still_loads(tmp_path: Path) -> None:
    """An earlier flask-vertz wrote a partial index's WHERE with the table name and kept no
    computed columns: its committed snapshot loads, the WHERE spelling is no change, and the
    computed column the database lacks becomes one migration that builds what create_all
    builds."""
    from tests.oracle import create_all_schema, reflect

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    Project(engine, _docs(False), tmp_path / "m", tmp_path / "s.json").migrate_dev("init")
    path = tmp_path / "m" / "_snapshot.json"
    text = path.read_text()
    assert '"where":"price > 0"' in text
    path.write_text(text.replace('"where":"price > 0"', '"where":"docs.price > 0"'))
    p = Project(engine, _docs(True), tmp_path / "m", tmp_path / "s.json")
    changes = p.check().model_changes
    assert [(c.kind, c.column) for c in changes] == [
        ("drop_column", "total"),
        ("add_column", "total"),
    ]
    p.migrate_dev("computed")
    other = sa.create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    assert reflect(engine) == create_all_schema(_docs(True), other)
    engine.dispose()
    other.dispose()
