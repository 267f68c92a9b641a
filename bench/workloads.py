"""The six workloads of issue 5. Each yields its cases after building what they need in the
work folder (untimed): databases, migration files, Alembic revisions, an app module."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench import dbs
from bench.core import ALEMBIC, FLOOR, VERTZ, Case, Goal, RatioSpec, Side
from bench.measure import Sample, free_port, run_command, run_op, run_until_served


@dataclass(frozen=True)
class Sizes:
    boot_ns: tuple[int, ...] = (50, 200, 1000)
    goal_n: int = 200  # the N the boot goal is stated at
    deploy_tables: int = 20
    deploy_migrations: int = 300
    dev_tables: int = 1000
    rebuild_rows: int = 1_000_000
    status_tables: int = 200
    runs: int = 5
    heavy_runs: int = 3  # N=1000 boot, migrate dev, the 1M-row rebuild


QUICK = Sizes(
    boot_ns=(20, 60),
    goal_n=60,
    deploy_tables=10,
    deploy_migrations=30,
    dev_tables=100,
    rebuild_rows=20_000,
    status_tables=40,
    runs=2,
    heavy_runs=2,
)


@dataclass
class Context:
    work: Path
    sizes: Sizes
    pg: dbs.Postgres | None

    def dialects(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.pg is not None else ["sqlite"]

    def folder(self, *parts: str) -> Path:
        path = self.work.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_db(self, dialect: str, short: str, template: str | None = None) -> str:
        """A fresh database (a copy of ``template`` if given); its URL."""
        if dialect == "sqlite":
            path = self.folder("db") / f"{short}.db"
            if template is None:
                path.unlink(missing_ok=True)
                return dbs.sqlite_url(path)
            return dbs.sqlite_url(dbs.copy_sqlite(self.folder("db") / f"{template}.db", path))
        assert self.pg is not None
        return self.pg.create(short, template)

    def drop_db(self, dialect: str, short: str) -> None:
        if dialect == "sqlite":
            (self.folder("db") / f"{short}.db").unlink(missing_ok=True)
        elif self.pg is not None:
            self.pg.drop(short)


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _setup(op: str, **args: Any) -> None:
    """A setup step, in a fresh process like the measurements (untimed)."""
    run_op(op, **args)


def _side(name: str, op: str, args: dict[str, Any]) -> Side:
    return Side(name, lambda r: run_op(op, **args))


def _fresh_side(
    name: str,
    op: str,
    args: dict[str, Any],
    fresh: Callable[[str], dict[str, Any]],
    cleanup: Callable[[str], None],
) -> Side:
    """A side whose every run starts from fresh state: ``fresh(tag)`` makes it (untimed) and
    returns the arguments that point at it; ``cleanup(tag)`` removes it after the run."""

    def run(r: int) -> Sample:
        tag = f"{name.replace('-', '_')}_{r if r >= 0 else 'w' + str(-r)}"
        try:
            return run_op(op, **args, **fresh(tag))
        finally:
            cleanup(tag)

    return Side(name, run)


# -- 1. boot with unchanged models ----------------------------------------------------------------


def boot(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    for dialect in ctx.dialects():
        for n in s.boot_ns:
            short = f"boot_{n}"
            _log(f"[1] setting up {n} tables on {dialect}")
            url = ctx.new_db(dialect, short)
            folder = ctx.folder(f"boot_{dialect}_{n}")
            args = {
                "url": url,
                "n": n,
                "migrations_dir": str(folder / "migrations"),
                "snapshot_path": str(folder / "local-snapshot.json"),
            }
            _setup("setup_boot", **args)
            goal = Goal(">=", 25) if n == s.goal_n else None
            floor_goal = Goal("<=", 1.5) if n >= s.goal_n else None
            yield Case(
                workload=1,
                key=f"boot/{dialect}/{n}",
                label=f"{dialect} N={n}",
                metrics=["boot", "repeat", "boot_cpu", "repeat_cpu"],
                sides=[
                    _side(VERTZ, "boot_vertz", args),
                    _side(FLOOR, "boot_floor", {"url": url, "n": n}),
                    _side(ALEMBIC, "boot_alembic", {"url": url, "n": n}),
                ],
                runs=s.heavy_runs if n >= 1000 else s.runs,
                ratios=[
                    RatioSpec("boot", ALEMBIC, VERTZ, goal),
                    RatioSpec("repeat", ALEMBIC, VERTZ, goal),
                    RatioSpec("boot", VERTZ, FLOOR, floor_goal),
                    RatioSpec("boot_cpu", VERTZ, FLOOR, floor_goal),
                ],
                per_table=n,
                cleanup=partial(ctx.drop_db, dialect, short),
                params={"dialect": dialect, "n": n},
            )


# -- 2. deploy pending one-column migrations --------------------------------------------------------


def _deploy_templates(ctx: Context, dialect: str) -> tuple[Path, Path]:
    s = ctx.sizes
    folder = ctx.folder(f"deploy_{dialect}")
    _log(f"[2] writing {s.deploy_migrations} flask-vertz files and Alembic revisions ({dialect})")
    _setup(
        "setup_deploy",
        vertz_url=ctx.new_db(dialect, "deploy_vertz_tpl"),
        alembic_url=ctx.new_db(dialect, "deploy_alembic_tpl"),
        floor_url=ctx.new_db(dialect, "deploy_floor_tpl"),
        folder=str(folder),
        n_tables=s.deploy_tables,
        n_migrations=s.deploy_migrations,
    )
    return folder / "vertz_migrations", folder / "alembic_migrations"


def _drop_templates(ctx: Context, dialect: str) -> None:
    for template in ("deploy_vertz_tpl", "deploy_alembic_tpl", "deploy_floor_tpl"):
        ctx.drop_db(dialect, template)


def deploy(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    for dialect in ctx.dialects():
        vdir, adir = _deploy_templates(ctx, dialect)
        shape = {"n_tables": s.deploy_tables, "n_migrations": s.deploy_migrations}
        run_dir = ctx.folder(f"deploy_{dialect}", "runs")

        def fresh(
            template: str, local: bool = False, d: str = dialect, rd: Path = run_dir
        ) -> Callable[[str], dict[str, Any]]:
            def make(tag: str) -> dict[str, Any]:
                args = {"url": ctx.new_db(d, tag, template)}
                return args | {"snapshot_path": str(rd / f"{tag}.json")} if local else args

            return make

        def drop(tag: str, d: str = dialect) -> None:
            ctx.drop_db(d, tag)

        sqlite = dialect == "sqlite"
        yield Case(
            workload=2,
            key=f"deploy/{dialect}",
            label=f"{dialect} {s.deploy_migrations} files",
            metrics=["deploy"],
            sides=[
                _fresh_side(
                    VERTZ,
                    "deploy_vertz",
                    shape | {"migrations_dir": str(vdir)},
                    fresh("deploy_vertz_tpl", local=True),
                    drop,
                ),
                _fresh_side(
                    ALEMBIC,
                    "deploy_alembic",
                    shape | {"directory": str(adir)},
                    fresh("deploy_alembic_tpl"),
                    drop,
                ),
                _fresh_side(
                    FLOOR,
                    "deploy_floor",
                    shape,
                    fresh("deploy_floor_tpl"),
                    drop,
                ),
            ],
            runs=s.runs,
            ratios=[
                RatioSpec("deploy", VERTZ, FLOOR, Goal("<=", 1.3)),
                RatioSpec("deploy", VERTZ, ALEMBIC, Goal("<=", 0.6) if sqlite else None),
            ],
            cleanup=partial(_drop_templates, ctx, dialect),
            params={"dialect": dialect} | shape,
        )


# -- 3. generate a migration for a one-column change ------------------------------------------------


def generate(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    n, table = s.dev_tables, s.dev_tables // 2
    folder = ctx.folder("generate")
    vdir, adir, runs = folder / "vertz_migrations", folder / "alembic_migrations", folder / "runs"
    _log(f"[3] setting up the {n}-table app (SQLite)")
    url = ctx.new_db("sqlite", "generate")
    _setup("setup_generate", url=url, folder=str(folder), n=n)

    def copy_dir(src: Path, key: str) -> Callable[[str], dict[str, Any]]:
        def fresh(tag: str) -> dict[str, Any]:
            dst = runs / tag
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst / src.name, ignore=shutil.ignore_patterns("__pycache__"))
            extra = {"snapshot_path": str(dst / "local.json")} if key == "migrations_dir" else {}
            return {key: str(dst / src.name)} | extra

        return fresh

    def remove(tag: str) -> None:
        shutil.rmtree(runs / tag, ignore_errors=True)

    shape = {"url": url, "n": n, "table": table}
    yield Case(
        workload=3,
        key="generate/sqlite",
        label=f"sqlite N={n}",
        metrics=["generate"],
        sides=[
            _fresh_side(VERTZ, "dev_vertz", shape, copy_dir(vdir, "migrations_dir"), remove),
            _fresh_side(ALEMBIC, "dev_alembic", shape, copy_dir(adir, "directory"), remove),
        ],
        runs=s.heavy_runs,
        ratios=[RatioSpec("generate", ALEMBIC, VERTZ, Goal(">=", 10))],
        per_table=n,
        cleanup=lambda: ctx.drop_db("sqlite", "generate"),
        params={"dialect": "sqlite", "n": n},
    )


# -- 4. SQLite table rebuild ---------------------------------------------------------------------------


def rebuild(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    rows = s.rebuild_rows
    folder = ctx.folder("rebuild")
    vdir = folder / "vertz_migrations"
    _log(f"[4] filling a {rows}-row SQLite table")
    url = ctx.new_db("sqlite", "rebuild_tpl")
    _setup("setup_rebuild", url=url, folder=str(folder), rows=rows)

    def fresh(tag: str) -> dict[str, Any]:
        return {"url": ctx.new_db("sqlite", tag, "rebuild_tpl")}

    def fresh_vertz(tag: str) -> dict[str, Any]:
        return fresh(tag) | {"snapshot_path": str(folder / f"{tag}.json")}

    def drop(tag: str) -> None:
        ctx.drop_db("sqlite", tag)

    yield Case(
        workload=4,
        key="rebuild/sqlite",
        label=f"sqlite {rows:,} rows",
        metrics=["rebuild"],
        sides=[
            _fresh_side(
                VERTZ,
                "rebuild_vertz",
                {"rows": rows, "migrations_dir": str(vdir)},
                fresh_vertz,
                drop,
            ),
            _fresh_side(FLOOR, "rebuild_floor", {"rows": rows}, fresh, drop),
        ],
        runs=s.heavy_runs,
        ratios=[RatioSpec("rebuild", VERTZ, FLOOR, Goal("<=", 1.15))],
        cleanup=lambda: ctx.drop_db("sqlite", "rebuild_tpl"),
        params={"dialect": "sqlite", "rows": rows},
    )


# -- 5. whole-process latency of the status commands -----------------------------------------------


def _apps(ctx: Context) -> tuple[Path, str]:
    """The app modules of workloads 5-7 (one per tool, and one with none) and their
    database, set up once per run; (their folder, the ``flask`` command)."""
    folder = ctx.work / "status_app"
    if not (folder / "app_plain.py").exists():
        n = ctx.sizes.status_tables
        _log(f"[5-7] setting up the apps ({n} tables, SQLite)")
        folder.mkdir(parents=True, exist_ok=True)
        _setup("setup_status", url=dbs.sqlite_url(folder / "bench.db"), folder=str(folder), n=n)
    return folder, str(Path(sys.executable).parent / "flask")


def status(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    n = s.status_tables
    folder, flask = _apps(ctx)

    def command(app: str, *argv: str) -> Side:
        return Side(
            VERTZ if argv[0] == "vertz-db" else ALEMBIC,
            lambda r: run_command([flask, "--app", app, *argv], cwd=folder),
        )

    yield Case(
        workload=5,
        key="status/sqlite",
        label=f"sqlite N={n}",
        metrics=["wall"],
        sides=[command("app_vertz", "vertz-db", "status"), command("app_migrate", "db", "current")],
        runs=s.runs,
        warmup=1,
        ratios=[RatioSpec("wall", VERTZ, ALEMBIC, Goal("<=", 1.1))],
        params={"dialect": "sqlite", "n": n},
    )


def start(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    n = s.status_tables
    folder, _ = _apps(ctx)
    dev = {"VERTZ_ENV": "development"}

    def side(name: str, app: str) -> Side:
        argv = [sys.executable, "-c", f"import {app}"]
        return Side(name, lambda r: run_command(argv, cwd=folder, env=dev))

    yield Case(
        workload=6,
        key="start/sqlite",
        label=f"sqlite N={n}",
        metrics=["wall"],
        sides=[
            side(VERTZ, "app_vertz_boot"),
            side(ALEMBIC, "app_migrate"),
            side(FLOOR, "app_plain"),
        ],
        runs=s.runs,
        warmup=1,  # the first boot after the setup's deploy records the models' digest
        ratios=[
            RatioSpec("wall", VERTZ, FLOOR, Goal("<=", 1.15)),
            RatioSpec("wall", VERTZ, ALEMBIC),
        ],
        params={"dialect": "sqlite", "n": n},
    )


def reload(ctx: Context) -> Iterator[Case]:
    s = ctx.sizes
    n = s.status_tables
    folder, flask = _apps(ctx)

    def side(name: str, app: str) -> Side:
        def run(r: int) -> Sample:
            port = free_port()
            argv = [flask, "--app", app, "run", "--debug", "--no-reload", "--port", str(port)]
            return run_until_served(argv, cwd=folder, port=port)

        return Side(name, run)

    yield Case(
        workload=7,
        key="reload/sqlite",
        label=f"sqlite N={n}",
        metrics=["serve"],
        sides=[side(VERTZ, "app_vertz_boot"), side(FLOOR, "app_plain")],
        runs=s.runs,
        warmup=1,
        ratios=[RatioSpec("serve", VERTZ, FLOOR)],
        params={"dialect": "sqlite", "n": n},
    )


WORKLOADS: dict[int, tuple[str, Callable[[Context], Iterator[Case]]]] = {
    1: (
        "boot check with unchanged models (in-process, first call of a fresh process and a repeat)",
        boot,
    ),
    2: ("deploy of pending one-column migrations (in-process)", deploy),
    3: ("generating a migration for a one-column change (in-process)", generate),
    4: ("SQLite type change forcing a table rebuild (in-process)", rebuild),
    5: ("`flask ... vertz-db status` vs `flask ... db current`, each tool in its own app", status),
    6: (
        "process start, boot auto-apply on and models unchanged: flask-vertz only /"
        " Flask-Migrate only / no migration tool (whole process wall time)",
        start,
    ),
    7: (
        "`flask run --debug` from start to first answer (what each reload pays):"
        " flask-vertz only / no migration tool",
        reload,
    ),
}
