"""Lock discipline in deploy (issue 12): a DDL lock timeout per try, retries with backoff,
the session holding the lock named while deploy waits, and a lock timeout that applied
nothing is "not applied, retry" (no ``failed`` row, no resolve).

A real second connection holds a transaction open on the table (a read is enough: it
holds a lock that ``ALTER TABLE`` must wait for), on PostgreSQL and MariaDB. No absolute
timings: the tests assert the number of tries and that each try waited far less than the
holder held the lock.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_vertz.config import ConfigError
from tests import models
from tests.oracle import expected, reflect
from tests.test_cli import run
from vertz_engine.db.ddl_locks import LockPolicy
from vertz_engine.files import migration_file

PROD = {"VERTZ_ENV": "production", "VERTZ_AUTO_APPLY": False}
_WAIT = re.compile(
    r"0002_(?:priority|steps): waited (?P<waited>[0-9.]+) s for a lock \(lock timeout [0-9.]+ s\), "
    r"try (?P<try>\d+) of (?P<tries>\d+); held by (?P<held>.*)\. Next try in [0-9.]+ s\."
)


#: every test that takes a database runs on the servers (PostgreSQL, MariaDB), not SQLite
servers = pytest.mark.parametrize("dialect_kind", ["postgres", "mysql"], indirect=True)


def _status(app: Flask) -> dict[str, Any]:
    r = run(app, "status", "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)  # type: ignore[no-any-return]


def _session_id(conn: sa.Connection) -> int:
    sql = (
        "SELECT pg_backend_pid()" if conn.dialect.name == "postgresql" else "SELECT CONNECTION_ID()"
    )
    return int(conn.exec_driver_sql(sql).scalar_one())


class Holder:
    """A second connection with a transaction open on ``todos`` (released by ``release``)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        self.conn = self.engine.connect()
        self.id = _session_id(self.conn)
        self.conn.execute(sa.text("SELECT * FROM todos")).all()
        self._timer: threading.Timer | None = None

    def release_after(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self.release)
        self._timer.start()

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.rollback()
            self.conn.close()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.join()
        self.release()
        self.engine.dispose()


def deploy_while_held(app: Flask, url: str, seconds: float) -> tuple[Any, int]:
    """``migrate deploy`` while another session holds ``todos`` for ``seconds``; the result
    and the holder's session id."""
    holder = Holder(url)
    try:
        holder.release_after(seconds)
        return run(app, "migrate", "deploy"), holder.id
    finally:
        holder.close()


@pytest.fixture
def project(
    make_app_on: Callable[[str], Any], fresh_url: Callable[[], str]
) -> Iterator[tuple[Callable[..., Flask], str]]:
    """A database with ``0001_init`` applied and ``0002_priority`` (add a column) pending."""
    url = fresh_url()
    factory = make_app_on(url)
    app = factory(models.v1, VERTZ_AUTO_APPLY=False)
    assert run(app, "migrate", "dev", "--name", "init").exit_code == 0
    app2 = factory(models.v2, VERTZ_AUTO_APPLY=False)
    r = run(app2, "migrate", "dev", "--name", "priority", "--create-only")
    assert r.exit_code == 0, r.output
    yield (lambda **config: factory(models.v2, **{**PROD, **config})), url


def _label(url: str) -> str:
    """How reports name a session (a mysql:// URL is MySQL to SQLAlchemy, whatever the server)."""
    return "PostgreSQL pid" if url.startswith("postgresql") else "MySQL connection"


def _waits(output: str) -> list[re.Match[str]]:
    return [m for line in output.splitlines() if (m := _WAIT.search(line))]


@servers
def test_deploy_waits_a_lock_timeout_per_try_and_succeeds_once_the_holder_leaves(
    project: tuple[Callable[..., Flask], str], fresh_url: Callable[[], str]
) -> None:
    make, url = project
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.5, VERTZ_DDL_LOCK_RETRIES=20)
    hold = 4.0
    r, holder_id = deploy_while_held(app, url, hold)
    assert r.exit_code == 0, r.output
    waits = _waits(r.output)
    # it gave up and tried again (more than once), each try far shorter than the hold
    assert len(waits) >= 2, r.output
    assert [int(m["try"]) for m in waits] == list(range(1, len(waits) + 1))
    assert all(m["tries"] == "21" for m in waits)
    assert all(float(m["waited"]) < hold / 2 for m in waits), r.output
    # ... and every report names the session that held the lock
    label = _label(url)
    for m in waits:
        assert m["held"].startswith(f"{label} {holder_id} "), m["held"]
    assert r.output.rstrip().endswith("applied 0002_priority"), r.output
    st = _status(app)
    assert st["failed"] == []
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_priority"]
    assert reflect(make_engine(url)) == expected(models.v2, fresh_url())


def make_engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


@servers
def test_a_holder_that_never_leaves_is_not_applied_retry_naming_it(
    project: tuple[Callable[..., Flask], str], fresh_url: Callable[[], str]
) -> None:
    make, url = project
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.3, VERTZ_DDL_LOCK_RETRIES=2)
    holder = Holder(url)
    try:
        r = run(app, "migrate", "deploy")
        assert r.exit_code == 1
        waits = _waits(r.output)
        assert [(m["try"], m["tries"]) for m in waits] == [("1", "3"), ("2", "3")], r.output
        label = _label(url)
        error = r.output[r.output.index("Error: ") :]
        assert error.startswith("Error: 0002_priority: statement 1 of 1 failed: "), error
        assert (
            f"Not applied, retry: the statement waited for a lock longer than the lock "
            f"timeout (0.3 s, 3 tries), so nothing of 0002_priority was applied and nothing "
            f"is recorded (no resolve needed). The lock is held by {label} {holder.id} ("
        ) in error, error
        assert error.rstrip().endswith(
            "Run `flask vertz-db migrate deploy` again once the transaction holding the lock "
            "has finished."
        ), error
        st = _status(app)
        assert st["failed"] == []
        assert [a["name"] for a in st["applied"]] == ["0001_init"]
        assert [p["name"] for p in st["pending"]] == ["0002_priority"]
    finally:
        holder.close()
    assert reflect(make_engine(url)) == expected(models.v1, fresh_url())
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert _waits(r.output) == []
    assert reflect(make_engine(url)) == expected(models.v2, fresh_url())


@servers
def test_without_a_lock_timeout_deploy_waits_for_the_holder_in_one_try(
    project: tuple[Callable[..., Flask], str],
) -> None:
    """The contrast: with the timeout off, the one try waits as long as the holder holds."""
    make, url = project
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0)
    r, _ = deploy_while_held(app, url, 1.5)
    assert r.exit_code == 0, r.output
    assert _waits(r.output) == []
    assert r.output == "applying 0002_priority ...\napplied 0002_priority\n"


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    policy = LockPolicy(timeout=2, retries=10)
    assert policy.tries == 11
    assert LockPolicy(timeout=0, retries=10).tries == 1
    for attempt, full in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # jitter


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"VERTZ_DDL_LOCK_TIMEOUT": "soon"},
            "VERTZ_DDL_LOCK_TIMEOUT must be a number of seconds (0 or off: none), not 'soon'",
        ),
        (
            {"VERTZ_DDL_LOCK_TIMEOUT": -1},
            "VERTZ_DDL_LOCK_TIMEOUT must be a number of seconds (0 or off: none), not '-1'",
        ),
        (
            {"VERTZ_DDL_LOCK_RETRIES": "many"},
            "VERTZ_DDL_LOCK_RETRIES must be a whole number >= 0, not 'many'",
        ),
    ],
)
def test_bad_lock_settings_are_one_clear_error(
    make_app: Callable[..., Flask], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        make_app(models.v1, **config)
    assert info.value.message == message


def test_lock_settings_reach_the_engine(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False, VERTZ_DDL_LOCK_TIMEOUT="off")
    with app.app_context():
        project = app.extensions["vertz"].project(app)
    assert project.lock_policy == LockPolicy(timeout=0.0, retries=4)
    app = make_app(models.v1, VERTZ_AUTO_APPLY=False)
    with app.app_context():
        project = app.extensions["vertz"].project(app)
    assert project.lock_policy == LockPolicy(timeout=2.0, retries=4)


def _hand_written(root: Path, name: str, up: list[str], *, no_transaction: bool = False) -> None:
    path = root / "migrations" / f"{name}.sql"
    text = migration_file.render(name, up, ["SELECT 1"])
    marker = "\n\n-- vertz:no-transaction\n" if no_transaction else "\n\n"
    path.write_text(text.replace("\n\n", marker, 1))
    migration_file.sign(path)


@pytest.mark.parametrize("dialect_kind", ["mysql"], indirect=True)
def test_a_statement_run_on_its_own_is_tried_again_alone(
    project: tuple[Callable[..., Flask], str], tmp_path: Path
) -> None:
    """MariaDB runs DDL statement by statement: the second statement waits, is tried again
    alone, and the first is not run twice; no failed row is left."""
    make, url = project
    (tmp_path / "migrations" / "0002_priority.sql").unlink()
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE other (id INTEGER PRIMARY KEY)")
    _hand_written(
        tmp_path,
        "0002_two",
        ["ALTER TABLE other ADD COLUMN a INTEGER", "ALTER TABLE todos ADD COLUMN b INTEGER"],
    )
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.5, VERTZ_DDL_LOCK_RETRIES=20)
    r, _ = deploy_while_held(app, url, 3.0)
    assert r.exit_code == 0, r.output
    waits = [line for line in r.output.splitlines() if "for a lock" in line]
    assert len(waits) >= 2 and all(w.startswith("0002_two: waited ") for w in waits), r.output
    st = _status(app)
    assert st["failed"] == []
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_two"]
    columns = {c["name"] for c in sa.inspect(make_engine(url)).get_columns("other")}
    assert columns == {"id", "a"}


@pytest.mark.parametrize("dialect_kind", ["postgres"], indirect=True)
def test_create_index_concurrently_waits_without_the_timeout(
    project: tuple[Callable[..., Flask], str], tmp_path: Path
) -> None:
    """CONCURRENTLY blocks no reader or writer while it waits, and one that gave up would
    leave an invalid index: it waits for the holder in one try."""
    make, url = project
    (tmp_path / "migrations" / "0002_priority.sql").unlink()
    _hand_written(
        tmp_path,
        "0002_ix",
        ["CREATE INDEX CONCURRENTLY ix_todos_title ON todos (title)"],
        no_transaction=True,
    )
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.2, VERTZ_DDL_LOCK_RETRIES=0)
    r, _ = deploy_while_held(app, url, 1.5)
    assert r.exit_code == 0, r.output
    assert r.output == "applying 0002_ix ...\napplied 0002_ix\n"
    with make_engine(url).connect() as conn:
        valid = conn.exec_driver_sql(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_todos_title'::regclass"
        ).scalar()
        timeout = conn.exec_driver_sql("SHOW lock_timeout").scalar()
    assert valid is True
    assert timeout == "0"  # a new session: deploy's setting did not leak into the server


def _steps_file(root: Path) -> None:
    """``0002_steps`` instead of ``0002_priority``: a step that takes no lock on ``todos``,
    then one that waits for it."""
    (root / "migrations" / "0002_priority.sql").unlink()
    path = root / "migrations" / "0002_steps.sql"
    up = "CREATE TABLE other (id INTEGER PRIMARY KEY);\n\n-- vertz:step\n"
    up += "ALTER TABLE todos ADD COLUMN b INTEGER;\n"
    path.write_text(migration_file.render("0002_steps", [up], ["SELECT 1"]))


@servers
def test_a_step_waits_a_lock_timeout_per_try_and_succeeds_once_the_holder_leaves(
    project: tuple[Callable[..., Flask], str], tmp_path: Path
) -> None:
    make, url = project
    _steps_file(tmp_path)
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.5, VERTZ_DDL_LOCK_RETRIES=20)
    r, holder_id = deploy_while_held(app, url, 3.0)
    assert r.exit_code == 0, r.output
    waits = _waits(r.output)
    assert len(waits) >= 2, r.output
    assert all(m["held"].startswith(f"{_label(url)} {holder_id} ") for m in waits)
    st = _status(app)
    assert st["failed"] == []
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_steps"]


@servers
def test_a_step_after_applied_steps_that_never_gets_its_lock_is_failed_and_resumed(
    project: tuple[Callable[..., Flask], str], tmp_path: Path
) -> None:
    """Not "not applied": the first step is applied and recorded; the next deploy resumes at
    the step that waited."""
    make, url = project
    _steps_file(tmp_path)
    app = make(VERTZ_DDL_LOCK_TIMEOUT=0.3, VERTZ_DDL_LOCK_RETRIES=1)
    holder = Holder(url)
    try:
        r = run(app, "migrate", "deploy")
        assert r.exit_code == 1
        assert [(m["try"], m["tries"]) for m in _waits(r.output)] == [("1", "2")], r.output
        assert "Not applied" not in r.output
        assert "Step 2 of 2 did not finish; the 1 statement(s) before it stay applied" in r.output
    finally:
        holder.close()
    r = run(app, "migrate", "deploy")
    assert r.exit_code == 0, r.output
    assert _waits(r.output) == []
    st = _status(app)
    assert st["failed"] == []
    assert [a["name"] for a in st["applied"]] == ["0001_init", "0002_steps"]
    columns = {c["name"] for c in sa.inspect(make_engine(url)).get_columns("todos")}
    assert "b" in columns
