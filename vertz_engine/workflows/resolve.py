"""``resolve``: say what a failed or interrupted migration left, after fixing it by hand."""

from __future__ import annotations

from vertz_engine.db import database, history
from vertz_engine.errors import VertzError
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.workspace import Workspace


class Resolve:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self, name: str, *, applied: bool) -> str:
        """Mark a failed or interrupted migration as applied (finished by hand) or rolled back
        (undone by hand). Returns what the row said."""
        f = self.ws.loader.find(name)
        with self.ws.locked() as conn:
            row = next((r for r in history.read_history(conn) or [] if r.name == f.name), None)
            if row is None or row.status == history.APPLIED:
                raise VertzError(
                    f"{f.name} is {'applied' if row else 'not recorded'}: there is nothing "
                    f"to resolve (resolve is for a migration recorded as failed)"
                )
            with database.transaction(conn, fk_check=False):
                history.ensure_tables(conn)
                recorder = history.Recorder(conn)
                if applied:
                    recorder.resolved(
                        f.name, f.actual_checksum, statements_done=row.statements_done
                    )
                else:
                    recorder.rolled_back(f.name)
                Position.unknown(conn)  # the next boot compares by reflection
        return f"{row.status} after {row.statements_done} statement(s)"
