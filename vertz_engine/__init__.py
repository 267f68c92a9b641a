"""vertz_engine: everything of flask-vertz that is not Flask (never imports flask).

snapshot -> diff -> SQL (+ rollback) -> migration files -> runner -> database.
"""

from .diff import Plan, RenameCandidate, diff
from .errors import VertzError
from .project import Project, parse_renames
from .snapshot import from_metadata

__all__ = [
    "Plan",
    "Project",
    "RenameCandidate",
    "VertzError",
    "diff",
    "from_metadata",
    "parse_renames",
]
