"""The workflows: what each command does, as engine calls that take data and return data.

A :class:`Project` ties the models (a ``MetaData``), a database (an ``Engine``) and the
folders on disk together. It never prints and never exits; front ends (the Flask CLI, a
script, another framework) show its results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import database, history, migration_file, render, snapshot_file
from . import snapshot as snap_mod
from .diff import DESTRUCTIVE, Change, Plan, Questioner, default_questioner, diff
from .errors import (
    ChecksumMismatch,
    InvalidName,
    MigrationFileError,
    NothingToRollback,
    ProductionGuard,
    SnapshotError,
    VertzError,
)
from .facts import BlockingChange, annotate, problems
from .migration_file import MigrationFile
from .snapshot import Snapshot

MIGRATIONS_SNAPSHOT = "_snapshot.json"
PRODUCTION = "production"
ProgressFn = Callable[[str], None]


def parse_renames(specs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["todos.title=name", "tasks=todos"]`` -> explicit rename decisions for :func:`diff`."""
    out: dict[str, str] = {}
    for spec in specs:
        old, sep, new = spec.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "." in new or old.count(".") > 1:
            raise InvalidName(
                f"--rename {spec!r}: expected table.old_column=new_column or old_table=new_table"
            )
        out[old] = new
    return out


def check_renames(plan: Plan, renames: Mapping[str, str]) -> None:
    """Refuse explicit rename decisions that match no dropped + added pair (a typo would
    otherwise turn a rename into drop + add and lose the values)."""
    keys = {c.key: c for c, _ok in plan.renames}
    for key, new in renames.items():
        cand = keys.get(key)
        accepted = any(c.key == key and c.new == new and ok for c, ok in plan.renames)
        if new and not accepted:
            what = "column" if "." in key else "table"
            dropped = [c.key for c, _ in plan.renames]
            hint = f" (probable renames here: {', '.join(sorted(set(dropped)))})" if dropped else ""
            raise InvalidName(
                f"--rename {key}={new}: the changes do not drop {what} {key} and add {new}{hint}"
            )
        if not new and cand is None:
            raise InvalidName(f"--no-rename {key}: no probable rename of {key} in these changes")


@dataclass
class ApplyResult:
    """What bringing a database to the models did (boot auto-apply, ``push``)."""

    action: str  # "unchanged", "applied", "adopted"
    changes: list[Change] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    renames: list[tuple[Any, bool]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def destructive(self) -> list[Change]:
        return [c for c in self.changes if c.level == DESTRUCTIVE]


@dataclass
class DeployResult:
    applied: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)  # already in the schema, not run
    pending: list[MigrationFile] = field(default_factory=list)  # for dry runs


@dataclass
class DevResult:
    plan: Plan
    path: Path | None = None
    deploy: DeployResult | None = None


@dataclass
class RollbackResult:
    rolled_back: list[str] = field(default_factory=list)
    statements: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Status:
    applied: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    model_changes: list[dict[str, Any]]
    checksum_drift: list[dict[str, Any]]
    out_of_order: list[dict[str, Any]]
    missing_files: list[str]
    database: str

    @property
    def needs_attention(self) -> bool:
        return bool(self.pending or self.model_changes or self.checksum_drift or self.out_of_order)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "applied": self.applied,
            "pending": self.pending,
            "model_changes": self.model_changes,
            "checksum_drift": self.checksum_drift,
            "out_of_order": self.out_of_order,
            "missing_files": self.missing_files,
        }


@dataclass
class CheckResult:
    model_changes: list[Change]
    unsigned: list[str]

    @property
    def ok(self) -> bool:
        return not self.model_changes and not self.unsigned


@dataclass
class InitResult:
    created: list[Path] = field(default_factory=list)
    existing: list[Path] = field(default_factory=list)
    gitignore_updated: bool = False


def _change_dict(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "table": change.table,
        "column": change.column,
        "class": change.level,
        "reason": change.reason,
        "description": change.describe(),
    }


@dataclass
class Project:
    """One app's models, database and migration folders."""

    engine: Engine
    metadata: sa.MetaData
    migrations_dir: Path
    local_snapshot_path: Path
    environment: str = "development"
    lock_timeout: float = 30.0
    root: Path | None = None  # where ``init`` puts the .gitignore line

    # -- basics ---------------------------------------------------------------------------

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION

    @property
    def dialect_name(self) -> str:
        return str(self.engine.dialect.name)

    @property
    def migrations_snapshot_path(self) -> Path:
        return self.migrations_dir / MIGRATIONS_SNAPSHOT

    def target(self) -> Snapshot:
        """The snapshot of the models."""
        return snap_mod.from_metadata(self.metadata, self.engine.dialect)

    def empty(self) -> Snapshot:
        return snap_mod.empty(self.dialect_name)

    def safe_url(self) -> str:
        return database.safe_url(self.engine)

    def _connect(self) -> AbstractContextManager[Connection]:
        return database.connect(self.engine, lock_timeout=self.lock_timeout)

    def _load_migrations_snapshot(self) -> Snapshot | None:
        snap = snapshot_file.load(
            self.migrations_snapshot_path,
            remedy=(
                "Restore it from version control (git checkout -- "
                f"{self.migrations_snapshot_path.name}); it must describe the schema the "
                "migration files produce."
            ),
        )
        if snap is not None and snap["dialect"] != self.dialect_name:
            raise SnapshotError(
                f"{self.migrations_snapshot_path} describes a {snap['dialect']} schema but the "
                f"app's database is {self.dialect_name}; migration files are plain SQL for one "
                f"database. Point the app at a {snap['dialect']} database or start a separate "
                f"VERTZ_MIGRATIONS_DIR for {self.dialect_name}."
            )
        return snap

    def _load_local_snapshot(self) -> Snapshot | None:
        try:
            return snapshot_file.load(self.local_snapshot_path, remedy="")
        except SnapshotError:
            return None  # only a cache: the database says what it has

    def _save_local(self, snap: Snapshot) -> None:
        local = self._load_local_snapshot()
        if local is None or snap_mod.fingerprint(local) != snap_mod.fingerprint(snap):
            snapshot_file.save(self.local_snapshot_path, snap)

    def _steps(self, ms: Snapshot | None) -> dict[str, str]:
        steps = (ms or {}).get("steps") or {}
        return {str(k): str(v) for k, v in steps.items()} if isinstance(steps, dict) else {}

    def files(self) -> list[MigrationFile]:
        files = migration_file.list_files(self.migrations_dir)
        seen: dict[int, str] = {}
        for f in files:
            if f.number in seen:
                raise MigrationFileError(
                    f"{seen[f.number]}.sql and {f.name}.sql have the same number "
                    f"(files from parallel branches?); renumber the newer one after the last file"
                )
            seen[f.number] = f.name
        return files

    # -- init -----------------------------------------------------------------------------

    def init(self) -> InitResult:
        """Create the migrations folder, both snapshots and the .gitignore line."""
        result = InitResult()
        if not self.migrations_dir.exists():
            self.migrations_dir.mkdir(parents=True)
            result.created.append(self.migrations_dir)
        else:
            result.existing.append(self.migrations_dir)
        if self.migrations_snapshot_path.exists():
            self._load_migrations_snapshot()  # refuse to go on over a corrupt one
            result.existing.append(self.migrations_snapshot_path)
        else:
            snapshot_file.save(self.migrations_snapshot_path, self.empty(), steps={})
            result.created.append(self.migrations_snapshot_path)
        if self.local_snapshot_path.exists():
            result.existing.append(self.local_snapshot_path)
        else:
            snapshot_file.save(self.local_snapshot_path, self.empty())
            result.created.append(self.local_snapshot_path)
        root = self.root or self.local_snapshot_path.parent.parent
        try:
            rel = self.local_snapshot_path.parent.resolve().relative_to(root.resolve())
        except ValueError:
            return result
        line = f"{rel.as_posix()}/"
        gitignore = root / ".gitignore"
        lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
        if line not in lines and line.rstrip("/") not in lines:
            text = "\n".join([*lines, "# flask-vertz local snapshot", line]) + "\n"
            migration_file.write_atomic(gitignore, text)
            result.gitignore_updated = True
        return result

    # -- boot auto-apply and push -----------------------------------------------------------

    def apply_models(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        dry_run: bool = False,
        verify_renames: bool = True,
    ) -> ApplyResult:
        """Bring the database to the models, with no migration file (boot, ``push``)."""
        if self.production:
            raise ProductionGuard(
                "refusing to change the schema directly in production (VERTZ_ENV=production); "
                "generate a migration with `flask vertz-db migrate dev` and apply it with "
                "`flask vertz-db migrate deploy`"
            )
        target = self.target()
        fp = snap_mod.fingerprint(target)
        with self._connect() as conn:
            if history.read_fingerprint(conn) == fp:  # the common case: one cheap query
                self._save_local(target)
                return ApplyResult("unchanged")
            with database.lock(conn, timeout=self.lock_timeout):
                with database.transaction(conn, lock_timeout=self.lock_timeout):
                    result = self._apply_models_locked(
                        conn, target, fp, renames, questioner, dry_run, verify_renames
                    )
        if not dry_run:
            self._save_local(target)
        return result

    def _apply_models_locked(
        self,
        conn: Connection,
        target: Snapshot,
        fp: str,
        renames: Mapping[str, str] | None,
        questioner: Questioner,
        dry_run: bool,
        verify_renames: bool = True,
    ) -> ApplyResult:
        if not dry_run:
            history.ensure_tables(conn)
        st = history.read_state(conn)  # read again, under the lock
        if st is not None and st.fingerprint == fp:
            return ApplyResult("unchanged")
        base = self._base(conn, st)
        if base is None:
            from .introspect import adopt

            changes, skipped = adopt(conn, self.metadata, dry_run=dry_run)
            if not dry_run:
                history.write_state(conn, fp, target)
            return ApplyResult("adopted", changes=changes, skipped=skipped)
        plan = diff(base, target, renames=renames, questioner=questioner)
        if verify_renames:
            check_renames(plan, renames or {})
        found = problems(conn, plan, set(base["tables"]))
        if found:
            raise BlockingChange(
                "these changes would fail on the rows the database has; nothing was changed:\n  "
                + "\n  ".join(found),
                problems=found,
            )
        statements = render.render(plan, self.engine.dialect)
        if not dry_run:
            from .runner import execute

            execute(conn, statements, name="model changes")
            history.write_state(conn, fp, target)
        return ApplyResult(
            "applied" if plan.steps else "unchanged",
            changes=plan.changes(),
            statements=statements,
            renames=plan.renames,
        )

    def _base(self, conn: Connection, st: history.State | None) -> Snapshot | None:
        """The snapshot that describes the database now, or None if nothing does."""
        if st is None:
            return None if history.user_tables(conn) else self.empty()
        if st.snapshot is not None:
            return st.snapshot
        for candidate in (
            self._load_local_snapshot(),
            self._load_migrations_snapshot(),
            self.empty(),
        ):
            if candidate is not None and snap_mod.fingerprint(candidate) == st.fingerprint:
                return candidate
        return None

    # -- migrate dev ------------------------------------------------------------------------

    def plan_dev(
        self,
        *,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
    ) -> Plan:
        """The changes the next migration file would hold (models vs migrations snapshot)."""
        ms = self._load_migrations_snapshot()
        self._check_snapshot_matches_files(ms)
        plan = diff(ms or self.empty(), self.target(), renames=renames, questioner=questioner)
        check_renames(plan, renames or {})
        return plan

    def annotate(self, plan: Plan) -> None:
        """Add what the local database's rows say to each change (rows a drop loses, ...)."""
        if not database.exists(self.engine):
            return
        with self._connect() as conn:
            annotate(conn, plan, set(plan.old["tables"]) & set(history.user_tables(conn)))

    def snapshot_problems(self, ms: Snapshot | None) -> list[str]:
        """Files the migrations snapshot counts that are not in the folder any more."""
        names = {f.name for f in self.files()}
        return [
            f"{self.migrations_snapshot_path} includes the changes of {name}, but "
            f"{self.migrations_dir / (name + '.sql')} is missing: restore the file (or restore "
            f"{self.migrations_snapshot_path.name} to the version before it from version control)"
            for name in self._steps(ms)
            if name not in names
        ]

    def _check_snapshot_matches_files(self, ms: Snapshot | None) -> None:
        problems = self.snapshot_problems(ms)
        if problems:
            raise SnapshotError(problems[0])

    def migrate_dev(
        self,
        name: str,
        *,
        create_only: bool = False,
        renames: Mapping[str, str] | None = None,
        questioner: Questioner = default_questioner,
        plan: Plan | None = None,
    ) -> DevResult:
        """Write the next migration file for the model changes, then apply it locally."""
        if self.production:
            raise ProductionGuard(
                "`migrate dev` is for development; in production use `flask vertz-db migrate deploy`"
            )
        slug = migration_file.slugify(name)
        ms = self._load_migrations_snapshot()
        self._check_snapshot_matches_files(ms)
        steps = self._steps(ms)
        if plan is None:
            plan = diff(ms or self.empty(), self.target(), renames=renames, questioner=questioner)
        if plan.empty:
            return DevResult(plan)
        for f in self.files():
            f.verify()
        if not create_only:
            # what would fail on the local rows is explained before anything is written
            with self._connect() as conn:
                st = history.read_state(conn)
                base = (
                    self._base(conn, st)
                    if st is not None or not history.user_tables(conn)
                    else None
                )
                if base is not None:
                    local_plan = diff(base, plan.new, renames=plan.chosen_renames())
                    found = problems(conn, local_plan, set(base["tables"]))
                    if found:
                        raise BlockingChange(
                            "these changes would fail on the rows the local database has; "
                            "no file was written:\n  " + "\n  ".join(found),
                            problems=found,
                        )
        dialect = self.engine.dialect
        up = render.render(plan, dialect)
        down_plan = plan.reversed()
        down = render.render(down_plan, dialect)
        up_notes = [
            f"{migration_file.DESTRUCTIVE_PREFIX}{c.describe()}" for c in plan.destructive()
        ]
        rollback_notes = [
            f"-- note: the rollback restores the schema of {c.table}"
            f"{'.' + c.column if c.column else ''}, not its data"
            for c in plan.changes()
            if c.kind in ("drop_column", "drop_table")
        ] + [
            f"-- note: {c.describe()}"
            for c in down_plan.changes()
            if "cannot come back" in c.reason
        ]
        path = migration_file.next_path(self.migrations_dir, slug)
        text = migration_file.render(
            path.stem, up, down, up_notes=up_notes, rollback_notes=rollback_notes
        )
        migration_file.write_atomic(path, text)
        steps[path.stem] = snap_mod.fingerprint(plan.new)
        snapshot_file.save(self.migrations_snapshot_path, plan.new, steps=steps)
        result = DevResult(plan, path)
        if not create_only:
            # A local database that boot or push moved off the files' path (part of these
            # changes applied, say) is brought to the models first; the files are then
            # recorded, not run twice.
            with self._connect() as conn:
                current = history.read_fingerprint(conn)
                fresh = current is None and not history.user_tables(conn)
            on_path = fresh or current in {*steps.values(), snap_mod.fingerprint(self.empty())}
            if not on_path:
                self.apply_models(renames=plan.chosen_renames(), verify_renames=False)
            result.deploy = self.deploy(force=True)
        return result

    def sign(self, name: str) -> bool:
        """Re-sign an edited migration file that is not applied yet."""
        f = self._find(name)
        with self._connect() as conn:
            rows = history.read_history(conn) or []
        if any(r.name == f.name for r in rows):
            raise VertzError(
                f"{f.name} is already applied to {self.safe_url()}; an applied file must not "
                f"change. Put the change in a new migration instead."
            )
        return migration_file.sign(f.path)

    def _find(self, name: str) -> MigrationFile:
        files = self.files()
        for f in files:
            if name in (f.name, f.path.name, f"{f.number:04d}", str(f.number)) or (
                f.name.split("_", 1)[1] == name
            ):
                return f
        raise VertzError(f"no migration file named {name!r} in {self.migrations_dir}")

    # -- deploy -----------------------------------------------------------------------------

    def deploy(
        self,
        *,
        dry_run: bool = False,
        force: bool = False,
        progress: ProgressFn | None = None,
    ) -> DeployResult:
        """Apply pending migration files in order, each in its own transaction, locked."""
        files = self.files()
        for f in files:
            f.verify()
        ms = self._load_migrations_snapshot()
        steps = self._steps(ms)
        result = DeployResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = history.read_history(conn) or []
                applied = {r.name: r for r in rows}
                for f in files:
                    row = applied.get(f.name)
                    if row is not None and row.checksum != f.actual_checksum:
                        raise ChecksumMismatch(
                            f"{f.path.name} was edited after it was applied (recorded "
                            f"{row.checksum[:19]}..., file {f.actual_checksum[:19]}...); "
                            f"restore it from version control and put the change in a new migration",
                            name=f.name,
                        )
                pending = [f for f in files if f.name not in applied]
                if dry_run:
                    result.pending = pending
                    return result
                if self.production and not force:
                    notes = [f"{f.name}: {n}" for f in pending for n in f.destructive_notes()]
                    if notes:
                        from .errors import DestructiveChanges

                        raise DestructiveChanges(
                            "refusing to apply destructive changes in production without --force:\n  "
                            + "\n  ".join(notes),
                            changes=notes,
                        )
                if not pending:
                    return result
                self._run_pending(conn, files, pending, steps, ms, result, progress)
        if not self.production and ms is not None:
            with self._connect() as conn:
                st = history.read_state(conn)
            if st is not None and st.fingerprint == snap_mod.fingerprint(ms):
                self._save_local(ms)
        return result

    def _run_pending(
        self,
        conn: Connection,
        files: list[MigrationFile],
        pending: list[MigrationFile],
        steps: dict[str, str],
        ms: Snapshot | None,
        result: DeployResult,
        progress: ProgressFn | None,
    ) -> None:
        order = [f.name for f in files]
        empty_fp = snap_mod.fingerprint(self.empty())
        last_fp = snap_mod.fingerprint(ms) if ms is not None else None
        with database.transaction(conn, lock_timeout=self.lock_timeout):
            history.ensure_tables(conn)
        for i, f in enumerate(pending):
            with database.transaction(conn, lock_timeout=self.lock_timeout):
                if any(r.name == f.name for r in history.read_history(conn) or []):
                    continue  # another process applied it while we waited
                st = history.read_state(conn)
                current = (
                    st.fingerprint if st else (None if history.user_tables(conn) else empty_fp)
                )
                if not self.production and current is not None:
                    # Development: changes that boot or push already made are recorded, not
                    # run again (the team workflow: pull models and files, boot, deploy).
                    if any(steps.get(g.name) == current for g in pending[i:]):
                        history.record(
                            conn,
                            f.name,
                            f.actual_checksum,
                            execution_ms=0,
                            note="schema already matched; not run",
                        )
                        result.recorded.append(f.name)
                        continue
                if progress:
                    progress(f.name)
                start = time.perf_counter()
                from .runner import execute

                execute(conn, f.up_statements(), name=f.name)
                ms_taken = int((time.perf_counter() - start) * 1000)
                history.record(conn, f.name, f.actual_checksum, execution_ms=ms_taken)
                idx = order.index(f.name)
                prev_fp = steps.get(order[idx - 1]) if idx > 0 else empty_fp
                new_fp = steps.get(f.name)
                if current is not None and current == prev_fp and new_fp is not None:
                    history.write_state(conn, new_fp, ms if new_fp == last_fp else None)
                else:
                    history.write_state(conn, None)
                result.applied.append(f.name)

    # -- rollback ---------------------------------------------------------------------------

    def rollback(self, steps: int = 1, *, dry_run: bool = False) -> RollbackResult:
        """Run the ``@rollback`` section of the last ``steps`` applied migrations."""
        if steps < 1:
            raise VertzError("--steps must be 1 or more")
        files = {f.name: f for f in self.files()}
        ms = self._load_migrations_snapshot()
        fps = self._steps(ms)
        order = list(files)
        empty_fp = snap_mod.fingerprint(self.empty())
        result = RollbackResult()
        with self._connect() as conn:
            with database.lock(conn, timeout=self.lock_timeout):
                rows = [r for r in history.read_history(conn) or [] if r.status == history.APPLIED]
                if len(rows) < steps:
                    raise NothingToRollback(
                        f"asked to roll back {steps} migration(s) but {len(rows)} "
                        f"{'is' if len(rows) == 1 else 'are'} applied"
                    )
                targets = list(reversed(rows))[:steps]
                for row in targets:
                    f = files.get(row.name)
                    if f is None:
                        raise MigrationFileError(
                            f"cannot roll back {row.name}: its file is not in {self.migrations_dir}"
                        )
                    f.verify()
                    result.statements[f.name] = f.rollback_statements()
                if dry_run:
                    return result
                for row in targets:
                    f = files[row.name]
                    with database.transaction(conn, lock_timeout=self.lock_timeout):
                        if not any(r.name == f.name for r in history.read_history(conn) or []):
                            continue
                        st = history.read_state(conn)
                        from .runner import execute

                        execute(conn, f.rollback_statements(), name=f"{f.name} (rollback)")
                        history.forget(conn, f.name)
                        idx = order.index(f.name)
                        prev_fp = fps.get(order[idx - 1]) if idx > 0 else empty_fp
                        if st is not None and st.fingerprint == fps.get(f.name) and prev_fp:
                            history.write_state(conn, prev_fp)
                        else:
                            history.write_state(conn, None)
                    result.rolled_back.append(f.name)
        return result

    # -- status and check -------------------------------------------------------------------

    def status(self) -> Status:
        files = self.files()
        ms = self._load_migrations_snapshot()
        plan = diff(ms or self.empty(), self.target())
        rows: list[history.HistoryRow] = []
        if database.exists(self.engine):
            with self._connect() as conn:
                rows = history.read_history(conn) or []
        by_name = {f.name: f for f in files}
        applied_names = {r.name for r in rows}
        max_applied = max((by_name[r.name].number for r in rows if r.name in by_name), default=0)
        pending = [f for f in files if f.name not in applied_names]
        drift = []
        for r in rows:
            f = by_name.get(r.name)
            if f is not None and r.checksum != f.actual_checksum:
                drift.append(
                    {
                        "name": r.name,
                        "recorded": r.checksum,
                        "actual": f.actual_checksum,
                        "problem": "edited after it was applied",
                    }
                )
        for f in pending:
            if not f.signed:
                drift.append(
                    {
                        "name": f.name,
                        "recorded": f.checksum,
                        "actual": f.actual_checksum,
                        "problem": "body does not match its header checksum",
                        "fix": migration_file.SIGN_HINT.format(name=f.name),
                    }
                )
        return Status(
            applied=[
                {
                    "name": r.name,
                    "applied_at": r.applied_at,
                    "checksum": r.checksum,
                    "status": r.status,
                    "execution_ms": r.execution_ms,
                    "note": r.note,
                }
                for r in rows
            ],
            pending=[
                {
                    "name": f.name,
                    "path": str(f.path),
                    "statements": len(f.up_statements()),
                    "destructive": f.destructive_notes(),
                    "sql": f.up.strip(),
                }
                for f in pending
            ],
            model_changes=[_change_dict(c) for c in plan.changes()],
            checksum_drift=drift,
            out_of_order=[
                {"name": f.name, "number": f.number, "last_applied_number": max_applied}
                for f in pending
                if f.number < max_applied
            ],
            missing_files=[r.name for r in rows if r.name not in by_name],
            database=self.safe_url(),
        )

    def check(self) -> CheckResult:
        """For CI, no database needed: model changes no file captures, unsigned files."""
        unsigned = [f.name for f in self.files() if not f.signed]
        ms = self._load_migrations_snapshot()
        self._check_snapshot_matches_files(ms)
        return CheckResult(diff(ms or self.empty(), self.target()).changes(), unsigned)
