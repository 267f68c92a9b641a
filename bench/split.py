"""Splitting speed: an initial migration for N benchmark tables, and 1 MB of INSERTs full
of strings, per dialect.

    .venv/bin/python -m bench.split [N]      # default N=3000 (about 5 MB of SQL)

Prints the size, the CPU time of ``sqlsplit.split`` (best of 5) and the time per megabyte;
``--sqlparse`` also times sqlparse's statement splitter on the same text, for comparison.
"""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from bench.schema import build
from vertz_engine.files.sqlsplit import split

DIALECTS = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),
    "mysql": mysql.dialect(),
}


def initial_file(n: int, dialect: sa.Dialect) -> str:
    md = sa.MetaData()
    build(md, n)
    parts = []
    for table in md.sorted_tables:
        parts.append(f"-- table {table.name}\n{CreateTable(table).compile(dialect=dialect)};")
        parts += [f"{CreateIndex(ix).compile(dialect=dialect)};" for ix in table.indexes]
    return "\n\n".join(parts) + "\n"


def data_file(megabytes: float, dialect: str) -> str:
    """INSERTs of rows full of strings (doubled quotes, a backslash as the dialect spells it)."""
    backslash = "\\\\" if dialect == "mysql" else "\\"
    row = f"(%d, 'it''s; here', 'C:{backslash}', '-- not a comment', 'a /* b */ c', NULL)"
    rows, size, i = [], 0, 0
    while size < megabytes * 1e6:
        stmt = "INSERT INTO t VALUES " + ", ".join(row % (i + k) for k in range(10)) + ";"
        rows.append(stmt)
        size += len(stmt) + 1
        i += 10
    return "\n".join(rows) + "\n"


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()  # type: ignore[operator]
        times.append(time.process_time() - t0)
    return min(times)


def main(argv: list[str]) -> None:
    n = int(next((a for a in argv if a.isdigit()), "3000"))
    cases = [(name, f"{n} tables", initial_file(n, d)) for name, d in DIALECTS.items()]
    cases += [(name, "data rows", data_file(1.0, name)) for name in DIALECTS]
    for name, label, text in cases:
        mb = len(text.encode()) / 1e6
        taken = best_of(5, lambda: split(text, dialect=name))  # noqa: B023
        count = len(split(text, dialect=name))
        print(
            f"{name:10} {label}, {mb:.2f} MB, {count} statements: "
            f"{taken * 1000:.0f} ms ({taken / mb * 1000:.0f} ms/MB)"
        )
        if "--sqlparse" in argv:
            from sqlparse.engine import FilterStack

            slow = best_of(1, lambda: list(FilterStack().run(text)))  # type: ignore[no-untyped-call]  # noqa: B023
            print(
                f"{'':10} sqlparse's splitter: {slow * 1000:.0f} ms ({slow / mb * 1000:.0f} ms/MB)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
