"""vertz_engine: everything of flask-vertz that is not Flask (never imports flask).

snapshot -> diff -> SQL (+ rollback) -> migration files -> runner -> database.
"""

from vertz_engine.errors import VertzError
from vertz_engine.plan.diff import diff
from vertz_engine.plan.model import Plan
from vertz_engine.plan.renames import RenameCandidate
from vertz_engine.project import Project, parse_renames
from vertz_engine.schema.build import from_metadata

__all__ = [
    "Plan",
    "Project",
    "RenameCandidate",
    "VertzError",
    "diff",
    "from_metadata",
    "parse_renames",
]
