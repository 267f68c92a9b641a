"""Several processes at once: 8 app workers booting the same app, and separately 8
``migrate deploy`` runs, 20 rounds each, on SQLite, PostgreSQL and MariaDB. Every change is
applied exactly once, no process fails, history has one row per file."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.oracle import reflect
from vertz_engine import Project

WORKERS = 8
ROUNDS = 20
CTX = multiprocessing.get_context("fork")


def models(round_: int) -> sa.MetaData:
    """Round r: a table with r extra columns, and every other round a new table."""
    md = sa.MetaData()
    sa.Table(
        "items",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(f"c{i}", sa.Integer) for i in range(round_)],
    )
    for i in range(round_ // 2):
        sa.Table(f"extra{i}", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


def _worker(action: str, url: str, root: str, round_: int, barrier: Any, errors: Any) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        project = Project(
            engine,
            models(round_),
            Path(root) / "migrations",
            Path(root) / f"snap{round_}.json",
            lock_timeout=60,
        )
        barrier.wait(timeout=60)
        if action == "boot":
            project.apply_models()
        else:
            project.deploy()
    except Exception:  # noqa: BLE001 - reported to the parent
        errors.put(traceback.format_exc())
    finally:
        engine.dispose()


def _run_round(action: str, url: str, root: Path, round_: int) -> list[str]:
    barrier = CTX.Barrier(WORKERS)
    errors = CTX.Queue()
    procs = [
        CTX.Process(target=_worker, args=(action, url, str(root), round_, barrier, errors))
        for _ in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    found += [f"worker exited {p.exitcode}" for p in procs if p.exitcode != 0]
    return found


def _expected(round_: int, url: str) -> dict[str, Any]:
    engine = sa.create_engine(url)
    try:
        md = models(round_)
        md.drop_all(engine)
        md.create_all(engine)
        return reflect(engine)
    finally:
        md.drop_all(engine)
        engine.dispose()


def test_workers_booting_together(fresh_url: Callable[[], str], tmp_path: Path) -> None:
    url, oracle = fresh_url(), fresh_url()
    for round_ in range(1, ROUNDS + 1):
        errors = _run_round("boot", url, tmp_path, round_)
        assert errors == [], errors[0]
        engine = sa.create_engine(url)
        try:
            assert reflect(engine) == _expected(round_, oracle), f"round {round_}"
        finally:
            engine.dispose()


def test_deploys_running_together(fresh_url: Callable[[], str], tmp_path: Path) -> None:
    url, oracle = fresh_url(), fresh_url()
    writer = sa.create_engine(url)
    try:
        for round_ in range(1, ROUNDS + 1):
            project = Project(writer, models(round_), tmp_path / "migrations", tmp_path / "w.json")
            assert project.migrate_dev(f"round_{round_}", create_only=True).path is not None
            errors = _run_round("deploy", url, tmp_path, round_)
            assert errors == [], errors[0]
            assert reflect(writer) == _expected(round_, oracle), f"round {round_}"
            with writer.connect() as conn:
                names = [r[0] for r in conn.execute(sa.text("SELECT name FROM _vertz_migrations"))]
            assert sorted(names) == sorted(f"{i:04d}_round_{i}" for i in range(1, round_ + 1))
    finally:
        writer.dispose()
