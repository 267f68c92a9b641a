"""The models' digest stands for their snapshot: equal digests exactly when the snapshots
(and so their fingerprints) are equal, for random model pairs, on every database; and an
unchanged boot that the digest proves reads no more than one row and writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_properties import Pair, build, mutated
from vertz_engine.dialects import dialect_for
from vertz_engine.files import snapshot_file
from vertz_engine.schema import snapshot
from vertz_engine.schema.build import from_metadata
from vertz_engine.schema.digest import models_digest

DIALECTS = ["sqlite", "postgresql", "mysql"]
SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# what the generator of tests.test_properties leaves out: comments, CHECKs, foreign keys,
# composite and named uniques, enums (a type with list attributes), text defaults
extras = st.fixed_dictionaries(
    {
        "comment": st.sampled_from([None, "", "a note", "another"]),
        "check": st.sampled_from([None, "id > 0", "id > 1"]),
        "check_name": st.sampled_from([None, "ck_pos"]),
        "fk": st.booleans(),
        "ondelete": st.sampled_from([None, "cascade", "SET NULL"]),
        "pair_unique": st.sampled_from([None, "uq_pair", ""]),
        "enum": st.sampled_from([None, ("a", "b"), ("a", "b", "c")]),
        "text_default": st.sampled_from([None, "'x'", "0"]),
    }
)


def build_rich(spec: dict[str, Any], extra: dict[str, Any]) -> sa.MetaData:
    md = build(spec)
    first = sorted(md.tables)[0]
    for name, table in sorted(md.tables.items()):
        if extra["comment"] is not None:
            table.comment = extra["comment"]
        if extra["check"]:
            table.append_constraint(sa.CheckConstraint(extra["check"], name=extra["check_name"]))
        if extra["fk"] and name != first:
            col = sa.Column("ref_id", sa.Integer)
            table.append_column(col)
            table.append_constraint(
                sa.ForeignKeyConstraint([col], [f"{first}.id"], ondelete=extra["ondelete"])
            )
        if extra["enum"]:
            table.append_column(sa.Column("kind", sa.Enum(*extra["enum"], name="kind")))
        if extra["text_default"]:
            table.append_column(
                sa.Column("dflt", sa.String(9), server_default=sa.text(extra["text_default"]))
            )
        data = [c.name for c in table.columns if c.name != "id"][:2]
        if extra["pair_unique"] is not None and len(data) == 2:
            table.append_constraint(sa.UniqueConstraint(*data, name=extra["pair_unique"] or None))
    return md


def _same(a: sa.MetaData, b: sa.MetaData, dialect: str) -> tuple[bool, bool]:
    """(digests equal, snapshots equal) of two metadata on ``dialect``."""
    d = dialect_for(dialect)
    sa_, sb = from_metadata(a, d), from_metadata(b, d)
    da, db = models_digest(a, d), models_digest(b, d)
    assert da is not None and db is not None
    if sa_ == sb:
        assert snapshot.fingerprint(sa_) == snapshot.fingerprint(sb)
    return da == db, sa_ == sb


@pytest.mark.parametrize("dialect", DIALECTS)
def test_digest_equal_exactly_when_snapshots_equal(dialect: str) -> None:
    seen = {True: 0, False: 0}

    @SETTINGS
    @given(mutated())
    def check(pair: Pair) -> None:
        before, after, _ = pair
        digests_equal, snapshots_equal = _same(build(before), build(after), dialect)
        assert digests_equal == snapshots_equal
        seen[snapshots_equal] += 1
        # the same models built again (other objects, other set orders): the same digest
        assert _same(build(after), build(after), dialect) == (True, True)

    check()
    assert seen[True] and seen[False]  # both directions were exercised


@pytest.mark.parametrize("dialect", DIALECTS)
def test_digest_covers_comments_checks_keys_enums_defaults(dialect: str) -> None:
    seen = {True: 0, False: 0}

    @SETTINGS
    @given(mutated(), extras, extras)
    def check(pair: Pair, x1: dict[str, Any], x2: dict[str, Any]) -> None:
        before, after, _ = pair
        for a, b in ((before, before), (before, after)):
            for e1, e2 in ((x1, x1), (x1, x2)):
                digests_equal, snapshots_equal = _same(
                    build_rich(a, e1), build_rich(b, e2), dialect
                )
                assert digests_equal == snapshots_equal
                seen[snapshots_equal] += 1

    check()
    assert seen[True] and seen[False]


def test_digest_refuses_what_the_snapshot_refuses() -> None:
    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), schema="other")
    assert models_digest(md, dialect_for("sqlite")) is None
    md = sa.MetaData()
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer))
    sa.Index("ix_same", t.c.a)
    sa.Index("ix_same", t.c.id)
    assert models_digest(md, dialect_for("sqlite")) is None


def test_a_digest_proves_only_the_snapshot_it_was_saved_with(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    d = dialect_for("sqlite")
    md = build(
        {
            "items": {
                "alpha": {
                    "type": "int",
                    "nullable": True,
                    "default": False,
                    "index": False,
                    "unique": False,
                }
            }
        }
    )
    snap, digest = from_metadata(md, d), models_digest(md, d)
    fp = snapshot.fingerprint(snap)
    snapshot_file.save(path, snap, **{snapshot_file.DIGEST_KEY: digest})
    assert snapshot_file.proven_fingerprint(path, digest) == fp
    assert snapshot_file.proven_fingerprint(path, "blake2b:" + "0" * 64) is None
    # saved again without it (another snapshot, or the same one loaded back): no proof left
    snapshot_file.save(path, snapshot_file.load(path, remedy="") or {})
    assert snapshot_file.read_head(path) == (fp, None)
