"""Running SQL statements inside a transaction the caller owns."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .errors import MigrationFailed


def _reason(exc: sa.exc.DBAPIError) -> str:
    orig = exc.orig
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def execute(conn: Connection, statements: list[str], *, name: str) -> None:
    """Run ``statements`` in order; the first failure raises :class:`MigrationFailed`."""
    total = len(statements)
    for i, statement in enumerate(statements, 1):
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as exc:
            first = " ".join(
                line.strip() for line in statement.splitlines() if not line.strip().startswith("--")
            )
            if len(first) > 200:
                first = first[:197] + "..."
            raise MigrationFailed(
                f"{name}: statement {i} of {total} failed: {_reason(exc)}\n    {first}",
                name=name,
                statement=statement,
                index=i,
            ) from None
