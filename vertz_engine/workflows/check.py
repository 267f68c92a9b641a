"""``check`` (for CI, no database needed): model changes no file captures, unsigned files."""

from __future__ import annotations

from vertz_engine.plan.diff import diff
from vertz_engine.workflows.position import Position
from vertz_engine.workflows.results import CheckResult
from vertz_engine.workflows.workspace import Workspace


class Check:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def run(self) -> CheckResult:
        loader = self.ws.loader
        unsigned = [f.name for f in loader.files() if not f.signed]
        ms, _ = Position(self.ws).files_snapshot()
        loader.check_snapshot_matches_files(ms)
        return CheckResult(diff(ms or loader.empty(), loader.target()).changes(), unsigned)
