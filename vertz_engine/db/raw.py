"""The DBAPI cursor under a SQLAlchemy connection (the deploy's hot loop)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class Raw:
    """The DBAPI cursor under a SQLAlchemy connection. The hot loop of a deploy (hundreds of
    small statements) runs through it and skips SQLAlchemy's per-statement overhead; the
    connection is in autocommit mode with our own BEGIN/COMMIT, so the two never disagree."""

    def __init__(self, conn: Connection) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        self.cursor = dbapi_conn.cursor()
        self.error: type[Exception] = conn.dialect.loaded_dbapi.Error
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"

    def run(self, sql: str, params: tuple[object, ...] | None = None) -> None:
        """Execute; a driver error comes out as SQLAlchemy's wrapped ``DBAPIError``, like
        everything else that talks to the database."""
        try:
            if params is None:
                self.cursor.execute(sql)
            else:
                self.cursor.execute(sql.replace("?", self.mark), params)
        except self.error as exc:
            raise sa.exc.DBAPIError.instance(sql, params, exc, self.error) from None

    def one(self, sql: str, params: tuple[object, ...] | None = None) -> tuple[object, ...] | None:
        self.run(sql, params)
        row = self.cursor.fetchone()
        return tuple(row) if row is not None else None

    def rowcount(self) -> int:
        return int(self.cursor.rowcount)
