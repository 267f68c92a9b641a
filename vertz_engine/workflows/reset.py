"""``reset`` (development only): drop every table and apply every file again."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from vertz_engine.db import database, history
from vertz_engine.dialects import traits
from vertz_engine.files.txmode import run_mode
from vertz_engine.workflows.deploy import Deploy, DeployOptions
from vertz_engine.workflows.workspace import Workspace


class Reset:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> list[str]:
        """The tables dropped."""
        self.ws.env.refuse("reset")
        with self.ws.locked() as conn:
            rows = history.read_history(conn) or []
            self.ws.check_folder(self.ws.loader.files(), rows)
            dropped = drop_everything(conn)
        Deploy(self.ws).run(DeployOptions(force=True))
        return dropped


def drop_everything(conn: Connection) -> list[str]:
    """Drop every table (flask-vertz's own too) and, on PostgreSQL, every enum type."""
    md = sa.MetaData()
    md.reflect(conn)
    names = sorted(md.tables)
    db = traits(conn)
    with database.transaction(conn, enabled=run_mode(db.name).transactional):
        if db.foreign_key_checks_off:
            conn.exec_driver_sql(db.foreign_key_checks_off[0])
        try:
            for table in reversed(md.sorted_tables):
                conn.execute(sa.schema.DropTable(table))
        finally:
            if db.foreign_key_checks_off:
                conn.exec_driver_sql(db.foreign_key_checks_off[1])
        if db.native_enums:
            q = conn.dialect.identifier_preparer
            for enum in sa.inspect(conn).get_enums():  # type: ignore[attr-defined]
                conn.exec_driver_sql(f"DROP TYPE IF EXISTS {q.quote(enum['name'])}")
    return names
