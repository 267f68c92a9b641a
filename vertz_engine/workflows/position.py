"""Which schema the database is at: the one owner of the four stores that say it.

- ``_vertz_state`` (the recorder's): the fingerprint (and, where known, the snapshot) of
  the schema flask-vertz last left in the database; no row means unknown (compare by
  reflection).
- ``_vertz_migrations`` (the recorder's): the files applied.
- ``_snapshot.json`` (the loader's): the schema the files produce, with its steps ledger
  (each file -> the fingerprint after it) and the checksums as generated.
- the local snapshot (the loader's): a cache of the models' last snapshot.

Every workflow that reads or moves the database's position asks this module: the base a
change starts from, the schema a deploy or a rollback ends at, what baseline and resolve
leave, whether the database is on the files' path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from vertz_engine.db import database, history
from vertz_engine.files.migration_file import MigrationFile
from vertz_engine.schema import snapshot as snap_mod
from vertz_engine.schema.snapshot import Snapshot
from vertz_engine.workflows import rebuild
from vertz_engine.workflows.loader import generated, steps, undo
from vertz_engine.workflows.workspace import Workspace


@dataclass
class Position:
    """Reads and moves the database's position for the workflows of one workspace."""

    ws: Workspace

    # -- reading -------------------------------------------------------------------------------

    def base(self, conn: Connection, st: history.State | None) -> Snapshot | None:
        """The snapshot that describes the database now, or None if nothing does."""
        loader = self.ws.loader
        if st is None:
            return None if history.user_tables(conn) else loader.empty()
        if st.snapshot is not None:
            return st.snapshot
        for candidate in (loader.local_snapshot(), loader.migrations_snapshot(), loader.empty()):
            if candidate is not None and snap_mod.fingerprint(candidate) == st.fingerprint:
                return candidate
        return None

    def files_snapshot(self, *, save: bool = False) -> tuple[Snapshot | None, bool]:
        """The migrations snapshot; rebuilt from the files when it is missing beside them,
        never read as empty. Returns it and whether it was rebuilt (and, with ``save``,
        written)."""
        loader = self.ws.loader
        ms = loader.migrations_snapshot()
        if ms is not None:
            return ms, False
        files = loader.files()
        if not files:
            return None, False
        snap = self.rebuild(files)
        snap = {**snap, "steps": {files[-1].name: snap_mod.fingerprint(snap)}}
        if save:
            loader.save_migrations_snapshot(snap)
        return snap, True

    def rebuild(self, files: list[MigrationFile]) -> Snapshot:
        """The schema ``files`` produce, exact wherever a known snapshot proves it."""
        loader = self.ws.loader
        return rebuild.from_files(
            self.ws.engine,
            files,
            [loader.target(), loader.local_snapshot(), self.ws.state_snapshot()],
            target=loader.migrations_snapshot_path,
        )

    def snapshot_before(
        self,
        ms: Snapshot | None,
        names: list[str],
        remaining: list[MigrationFile],
        want: str | None,
    ) -> tuple[Snapshot, str]:
        """The migrations snapshot before files ``names`` (``remaining`` stay; ``want``: the
        fingerprint the steps ledger records for the last of them), and how it was found:
        the undo ledger ``migrate dev`` kept, a snapshot with that fingerprint, or rebuilt."""
        loader = self.ws.loader
        if not remaining:
            return loader.empty(), "no files remain: the empty schema"
        ledger = (ms or {}).get("undo")
        if ms is not None and isinstance(ledger, dict) and all(n in ledger for n in names):
            snap = ms
            for name in reversed(names):
                snap = undo(snap, ledger[name])
            if want is None or snap_mod.fingerprint(snap) == want:
                return snap, "kept by migrate dev"
        for cand in (loader.local_snapshot(), self.ws.state_snapshot()):
            if cand is not None and want is not None and snap_mod.fingerprint(cand) == want:
                return undo(cand, {}), "a snapshot with the recorded fingerprint"
        return self.rebuild(remaining), "rebuilt from the files"

    def on_files_path(self, ms: Snapshot | None) -> bool:
        """Whether the database is at a schema of the files (or new): deploying the files
        then moves it on, instead of the models having to bring it there first."""
        with self.ws.connect() as conn:
            current = history.read_fingerprint(conn)
            fresh = current is None and not history.user_tables(conn)
        known = {*steps(ms).values(), snap_mod.fingerprint(self.ws.loader.empty())}
        return fresh or current in known

    # -- moving ----------------------------------------------------------------------------------

    @staticmethod
    def at(conn: Connection, snap: Snapshot, fingerprint: str | None = None) -> None:
        """The database now has exactly ``snap``."""
        history.write_state(conn, fingerprint or snap_mod.fingerprint(snap), snap)

    @staticmethod
    def unknown(conn: Connection) -> None:
        """Nothing describes the schema now: the next boot compares by reflection."""
        history.write_state(conn, None)

    def at_files_end_or_unknown(self, conn: Connection, ms: Snapshot | None) -> None:
        """Baseline: the schema the files produce if the database has exactly it."""
        if ms is not None and not _drift(conn, ms):
            self.at(conn, ms)
        else:
            self.unknown(conn)

    def after_rollback(
        self,
        conn: Connection,
        ms: Snapshot | None,
        f: MigrationFile,
        order: list[str],
        st: history.State | None,
    ) -> None:
        """``f`` was rolled back: the schema of the file before it, where that is known
        (``st``: the state before the rollback; ``ms``: the migrations snapshot)."""
        fps = steps(ms)
        # only a file as the generator wrote it is known to undo exactly its step
        trusted = generated(ms).get(f.name) == f.actual_checksum
        idx = order.index(f.name)
        prev_fp = fps.get(order[idx - 1]) if idx > 0 else self._empty_fp()
        known = trusted and st is not None and st.fingerprint == fps.get(f.name) and prev_fp
        history.write_state(conn, prev_fp if known else None)

    def start_run(
        self,
        conn: Connection,
        files: list[MigrationFile],
        pending: list[MigrationFile],
        ms: Snapshot | None,
    ) -> Run:
        """A deploy starts: the record says "unknown" while files run (a crash leaves it
        so); :meth:`Run.settle` writes the schema the run ends with."""
        history.ensure_tables(conn)
        current = history.read_fingerprint(conn)
        if current is None and not history.user_tables(conn):
            current = self._empty_fp()
        self.unknown(conn)
        return Run(files, pending, ms, current, self._empty_fp(), self.ws.env.production)

    def sync_local(self, ms: Snapshot | None) -> None:
        """After a development deploy: the local snapshot is the files' schema if the
        database is at it."""
        if self.ws.env.production or ms is None:
            return
        with self.ws.connect() as conn:
            st = history.read_state(conn)
        if st is not None and st.fingerprint == snap_mod.fingerprint(ms):
            self.ws.loader.save_local(ms)

    def _empty_fp(self) -> str:
        return snap_mod.fingerprint(self.ws.loader.empty())


@dataclass
class Run:
    """Follows the database along the files' path while a deploy runs them."""

    files: list[MigrationFile]
    pending: list[MigrationFile]
    ms: Snapshot | None
    current: str | None  # the fingerprint the database is at (None: unknown)
    empty_fp: str
    production: bool
    steps: dict[str, str] = field(init=False)
    # the last pending position of each step's fingerprint: "is the database's schema the
    # step of this file or a later one" in one lookup (no scan of the rest)
    last_step_at: dict[str | None, int] = field(init=False)

    def __post_init__(self) -> None:
        self.steps = steps(self.ms)
        self.last_step_at = {self.steps.get(f.name): i for i, f in enumerate(self.pending)}

    def made_already(self, i: int) -> bool:
        """Development: the schema of ``pending[i]`` was made already (boot or push made it,
        the team workflow: pull models and files, boot, deploy), so the file is recorded,
        not run again."""
        if self.production or self.current is None:
            return False
        return self.last_step_at.get(self.current, -1) >= i

    def applied_elsewhere(self, f: MigrationFile) -> None:
        """Another process applied ``f`` meanwhile."""
        self.current = self.steps.get(f.name) if self.current is not None else None

    def applied(self, f: MigrationFile) -> None:
        """``f`` ran: a file the generator wrote, as it wrote it, moves the schema one step;
        any other (hand-written, edited) leaves it to be read from the database."""
        idx = [g.name for g in self.files].index(f.name)
        prev_fp = self.steps.get(self.files[idx - 1].name) if idx > 0 else self.empty_fp
        new_fp = self.steps.get(f.name)
        trusted = new_fp is not None and generated(self.ms).get(f.name) == f.actual_checksum
        known = self.current is not None and self.current == prev_fp and trusted
        self.current = new_fp if known else None

    def settle(self, conn: Connection) -> None:
        """The files ran: record the schema the database ended at, where it is known."""
        ms = self.ms
        last_fp = snap_mod.fingerprint(ms) if ms is not None else None
        if self.current is None and ms is not None and not _drift(conn, ms):
            self.current = last_fp  # the database has exactly the schema the files produce
        if self.current is not None:
            with database.transaction(conn, fk_check=False):
                history.write_state(conn, self.current, ms if self.current == last_fp else None)


def _drift(conn: Connection, snap: Snapshot) -> list[str]:
    from vertz_engine.db.introspect import drift  # Alembic's comparator: only when needed

    return drift(conn, snap_mod.to_metadata(snap))
