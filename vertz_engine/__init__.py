"""vertz_engine: everything of flask-vertz that is not Flask (never imports flask).

snapshot -> diff -> SQL (+ rollback) -> migration files -> runner -> database.

The names below load on first use (PEP 562), so importing the package (an app's boot that
finds its models unchanged) does not import the planner, Alembic or sqlparse.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vertz_engine.errors import VertzError
    from vertz_engine.plan.diff import diff
    from vertz_engine.plan.model import Plan
    from vertz_engine.plan.renames import RenameCandidate
    from vertz_engine.project import Project, parse_renames
    from vertz_engine.schema.build import from_metadata

_WHERE = {
    "Plan": "vertz_engine.plan.model",
    "Project": "vertz_engine.project",
    "RenameCandidate": "vertz_engine.plan.renames",
    "VertzError": "vertz_engine.errors",
    "diff": "vertz_engine.plan.diff",
    "from_metadata": "vertz_engine.schema.build",
    "parse_renames": "vertz_engine.project",
}

__all__ = [
    "Plan",
    "Project",
    "RenameCandidate",
    "VertzError",
    "diff",
    "from_metadata",
    "parse_renames",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vertz_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
