"""``migrate sign``: re-sign an edited migration file that is not applied yet."""

from __future__ import annotations

from vertz_engine.db import history
from vertz_engine.errors import VertzError
from vertz_engine.files import migration_file
from vertz_engine.workflows.workspace import Workspace


class Sign:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self, name: str) -> bool:
        """Whether the file's checksum changed."""
        f = self.ws.loader.find(name)
        rows = self.ws.history_rows()
        if any(r.name == f.name and r.status == history.APPLIED for r in rows):
            raise VertzError(
                f"{f.name} is already applied to {self.ws.safe_url()}; an applied file must not "
                f"change. Put the change in a new migration instead."
            )
        return migration_file.sign(f.path)
