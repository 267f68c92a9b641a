"""flask-vertz side by side with Alembic / Flask-Migrate and the raw-driver floor.

    .venv/bin/python -m bench.run [--quick] [--only 1,2] [--runs K] [--no-postgres]

Prints the figures and ratios and writes them to bench/results.json (bench/results-quick.json
with --quick). See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import report
from bench.core import CaseResult, measure
from bench.dbs import Postgres
from bench.measure import REPO
from bench.workloads import QUICK, WORKLOADS, Context, Sizes

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
PACKAGES = ("flask-vertz", "alembic", "Flask-Migrate", "SQLAlchemy", "Flask-SQLAlchemy", "psycopg")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 2 runs: a smoke test")
    p.add_argument("--only", default="", help="comma-separated workload numbers, e.g. 1,2")
    p.add_argument("--runs", type=int, default=None, help="runs per side in every case")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("VERTZ_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="PostgreSQL server for the PostgreSQL cases (scratch databases are made there)",
    )
    p.add_argument("--no-postgres", action="store_true", help="SQLite cases only")
    p.add_argument("--out", type=Path, default=None, help="where to write the JSON results")
    p.add_argument("--keep", action="store_true", help="keep the work folder (printed)")
    return p.parse_args(argv)


def sources_hash() -> str:
    """A hash of the flask-vertz sources as they are on disk now."""
    digest = hashlib.sha256()
    for folder in ("vertz_engine", "flask_vertz"):
        for path in sorted((REPO / folder).rglob("*.py")):
            digest.update(path.relative_to(REPO).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def git_describe() -> str:
    out = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return out or "unknown"


def _meta(args: argparse.Namespace, sizes: Sizes, pg: Postgres | None) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "command": "python -m bench.run " + " ".join(sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "postgres": None if pg is None else pg.url.render_as_string(hide_password=True),
        "quick": args.quick,
        "sizes": dataclasses.asdict(sizes),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sizes = QUICK if args.quick else Sizes()
    if args.runs is not None:
        sizes = dataclasses.replace(sizes, runs=args.runs, heavy_runs=args.runs)
    only = [int(x) for x in args.only.split(",") if x.strip()] or list(WORKLOADS)
    out = args.out or REPO / "bench" / ("results-quick.json" if args.quick else "results.json")

    pg: Postgres | None = None
    if not args.no_postgres:
        pg = Postgres(args.pg_url)
        if not pg.available():
            print(f"PostgreSQL unavailable ({pg.error}): SQLite cases only", file=sys.stderr)
            pg = None
    work = Path(tempfile.mkdtemp(prefix="vertz-bench-"))
    ctx = Context(work, sizes, pg)
    results: list[CaseResult] = []
    errors: list[str] = []
    code_before = sources_hash()
    load_before = os.getloadavg()
    started = time.perf_counter()
    try:
        for number in only:
            title, workload = WORKLOADS[number]
            try:
                for case in workload(ctx):
                    result = measure(case)
                    results.append(result)
                    if result.error:
                        errors.append(result.error)
            except Exception as exc:  # a workload's setup failed: report it, run the rest
                errors.append(f"workload {number} ({title}) setup failed: {exc!r}")
                print(f"workload {number} setup FAILED: {exc!r}", file=sys.stderr)
    finally:
        if pg is not None:
            pg.drop_all()
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started

    code_after = sources_hash()
    if code_after != code_before:
        errors.append(
            f"flask-vertz's sources changed on disk during the run ({code_before} -> "
            f"{code_after}): the figures mix two versions; run again"
        )
    meta = _meta(args, sizes, pg) | {
        "git": git_describe(),
        "sources": code_after,
        "sources_at_start": code_before,
        "total_seconds": round(elapsed, 1),
        # the machine's load average (1, 5, 15 min) at the start and the end: a shared
        # machine's figures are comparable only as ratios of runs made side by side
        "load_at_start": [round(x, 2) for x in load_before],
        "load_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    titles = {n: WORKLOADS[n][0] for n in only}
    checks = report.goal_checks(results)
    lines = [
        f"flask-vertz benchmark ({'quick' if args.quick else 'full'}; {meta['git']}, sources {meta['sources']};"
        f" Python {meta['python']}, {meta['cpus']} CPUs, load {meta['load_at_start'][0]:g}"
        f" -> {meta['load_at_end'][0]:g}; SQLite"
        f"{' + PostgreSQL' if pg else ''}; median and min-max of the runs)",
        *report.table(results, titles),
        *report.summary(checks, errors),
        "",
        f"total {elapsed:.0f} s; results in {out.relative_to(REPO) if out.is_relative_to(REPO) else out}",
    ]
    print("\n".join(lines))
    out.write_text(
        json.dumps(
            {
                "meta": meta,
                "cases": [report.as_json(r) for r in results],
                "goals": [c.as_dict() for c in checks],
                "errors": errors,
                "table": lines,
            },
            indent=2,
        )
        + "\n"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
