"""Writer stall during a schema change: the plain form against the generated (safe) form.

    .venv/bin/python -m bench.stall [--rows 1000000] [--pg-url URL] [--kinds index,unique]

For each change kind, on a PostgreSQL table of ``--rows`` rows, a writer thread updates one
row every 2 ms and records its longest update (the stall):

- **plain**: the statements Alembic's rendering gives (what flask-vertz generated before the
  safe forms), run in one transaction as a file without steps runs, then rolled back (the
  locks are held until the end of the transaction either way);
- **generated**: ``migrate dev`` writes the file with the safe forms and deploys it (steps,
  each in its own transaction or none).

It prints the two stalls side by side with their ratio, and writes them to
``bench/results-stall.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
KINDS = ("index", "unique", "foreign_key", "check", "not_null")


def models(kind: str | None) -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("parents", md, sa.Column("id", sa.Integer, primary_key=True))
    args: list[Any] = []
    if kind == "unique":
        args.append(sa.UniqueConstraint("code", name="uq_items_code"))
    if kind == "check":
        args.append(sa.CheckConstraint("n >= 0", name="ck_items_n"))
    if kind == "foreign_key":
        args.append(sa.ForeignKeyConstraint(["parent_id"], ["parents.id"], name="fk_items_p"))
    sa.Table(
        "items",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=kind != "not_null", index=kind == "index"),
        sa.Column("code", sa.Integer),
        sa.Column("parent_id", sa.Integer),
        *args,
    )
    return md


class Writer:
    """Single-row updates in a loop; ``longest`` is the longest one, in seconds."""

    def __init__(self, url: str, rows: int) -> None:
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.rows = rows
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        i = 0
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                i = (i + 7919) % self.rows
                start = time.perf_counter()
                conn.exec_driver_sql(f"UPDATE items SET code = code WHERE id = {i + 1}")
                self.longest = max(self.longest, time.perf_counter() - start)
                time.sleep(0.002)

    def __enter__(self) -> Writer:
        self._thread.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)
        self._stop.set()
        self._thread.join()
        self.engine.dispose()


def _project(url: str, md: sa.MetaData, folder: Path) -> Any:
    from vertz_engine import Project

    return Project(
        engine=sa.create_engine(url),
        metadata=md,
        migrations_dir=folder / "migrations",
        local_snapshot_path=folder / ".vertz" / "schema-snapshot.json",
        environment="development",
    )


def _scratch(base: str, name: str) -> Callable[[], None]:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return drop


def one_kind(base: str, kind: str, rows: int) -> dict[str, Any]:
    from vertz_engine.plan import render

    name = f"vertz_bench_stall_{os.getpid()}"
    drop = _scratch(base, name)
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            before = _project(url, models(None), folder)
            before.migrate_dev("init")
            with before.engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO parents (id) VALUES (1)")
                conn.exec_driver_sql(
                    "INSERT INTO items (id, n, code, parent_id) "
                    f"SELECT g, mod(g, 100), g, 1 FROM generate_series(1, {rows}) g"
                )
                conn.exec_driver_sql("ANALYZE items")
            before.engine.dispose()
            after = _project(url, models(kind), folder)
            plain_sql = render.render(after.plan_dev(), after.engine.dialect)
            with Writer(url, rows) as writer, after.engine.connect() as conn:
                for statement in plain_sql:
                    conn.exec_driver_sql(statement)
                conn.rollback()
            plain = writer.longest
            with Writer(url, rows) as writer:
                after.migrate_dev("change")
            safe = writer.longest
            after.engine.dispose()
    finally:
        drop()
    return {"kind": kind, "rows": rows, "plain_ms": plain * 1000, "generated_ms": safe * 1000}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stall", description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--pg-url", default=os.environ.get("VERTZ_BENCH_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--kinds", default=",".join(KINDS))
    p.add_argument("--out", type=Path, default=Path(__file__).with_name("results-stall.json"))
    args = p.parse_args(argv)
    results = [one_kind(args.pg_url, k, args.rows) for k in args.kinds.split(",")]
    print(f"PostgreSQL, {args.rows} rows, one writer updating a row every 2 ms")
    print(f"{'change':<12} {'plain stall':>12} {'generated':>12} {'plain/gen':>10}")
    for r in results:
        ratio = r["plain_ms"] / r["generated_ms"] if r["generated_ms"] else float("inf")
        print(
            f"{r['kind']:<12} {r['plain_ms']:>10.1f}ms {r['generated_ms']:>10.1f}ms {ratio:>9.1f}x"
        )
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
