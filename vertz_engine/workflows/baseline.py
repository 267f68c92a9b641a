"""``baseline``: record every file not yet recorded as applied, without running it
(adopting a database that already has their schema)."""

from __future__ import annotations

from vertz_engine.db import database, history
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.workspace import Workspace


class Baseline:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> list[str]:
        """The names recorded."""
        files = self.ws.loader.verified_files()
        ms = self.ws.loader.migrations_snapshot()
        recorded: list[str] = []
        with self.ws.locked() as conn:
            with database.transaction(conn, fk_check=False):
                history.ensure_tables(conn)
                rows = {r.name for r in history.read_history(conn) or []}
                recorder = history.Recorder(conn)
                for f in files:
                    if f.name not in rows:
                        recorder.applied(f.name, f.actual_checksum, note="baseline: not run")
                        recorded.append(f.name)
                Position(self.ws).at_files_end_or_unknown(conn, ms)
        return recorded
