"""The ``--json`` documents: one versioned shape per command (documented in the README).

Every document has ``"format": FORMAT`` (raised when a shape changes) and ``"bind"``, the
bind it describes; several binds give ``{"format": FORMAT, "binds": {NAME: document}}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vertz_engine.losses import Loss
from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.workflows.results import change_dict

if TYPE_CHECKING:  # the workflows load when a command runs, not with the app
    from vertz_engine.project import CheckResult, DeployResult, DevPreview, RollbackResult, Status

#: the version of every ``--json`` document's shape (its ``format`` key)
FORMAT = 1


def per_bind(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One document for one bind, ``{"format", "binds": {...}}`` for several."""
    if len(docs) == 1:
        ((name, doc),) = docs.items()
        return {"format": FORMAT, **doc, "bind": name}
    return {
        "format": FORMAT,
        "binds": {name: {"format": FORMAT, **doc, "bind": name} for name, doc in docs.items()},
    }


def status(st: Status) -> dict[str, Any]:
    return st.as_dict()


def check(result: CheckResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "model_changes": [change_dict(c) for c in result.model_changes],
        "unsigned": list(result.unsigned),
    }


def adopt(result: Any) -> dict[str, Any]:
    return {
        "file": str(result.path),
        "tables": result.tables,
        "left_out": result.left_out,
        "missing": result.missing,
        "model_changes": [c.describe() for c in result.model_changes],
    }


def _renames(renames: Sequence[tuple[RenameCandidate, bool]]) -> list[dict[str, Any]]:
    return [
        {"from": c.key, "to": c.new, "renamed": taken, "confidence": c.confidence}
        for c, taken in renames
    ]


def _destroys(losses: Sequence[Loss]) -> list[str]:
    return [loss.text() for loss in losses]


def dev_dry_run(preview: DevPreview) -> dict[str, Any]:
    """``migrate dev --dry-run --json``: the file that would be written (``file`` is null
    when the models have no changes)."""
    return {
        "dry_run": True,
        "file": preview.name,
        "changes": [change_dict(c) for c in preview.plan.changes()],
        "renames": _renames(preview.plan.renames),
        "statements": preview.statements,
        "rollback_statements": preview.rollback_statements,
    }


def deploy_dry_run(result: DeployResult) -> dict[str, Any]:
    """``migrate deploy --dry-run --json``: the pending files, in the order they would run."""
    return {
        "dry_run": True,
        "pending": [
            {
                "name": f.name,
                "file": str(f.path),
                "statements": f.up_statements(),
                "destroys": _destroys(result.losses.get(f.name, [])),
            }
            for f in result.pending
        ],
    }


def rollback_dry_run(result: RollbackResult) -> dict[str, Any]:
    """``rollback --dry-run --json``: the rollbacks, in the order they would run."""
    return {
        "dry_run": True,
        "rollbacks": [
            {
                "name": name,
                "statements": statements,
                "destroys": _destroys(result.losses.get(name, [])),
            }
            for name, statements in result.statements.items()
        ],
    }
