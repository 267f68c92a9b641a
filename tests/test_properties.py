"""Property tests: random model pairs (a schema and a random mutation of it) hold the same
oracle as the corpus on every database: after ``up`` the schema equals ``create_all()``
of the new models, after ``rollback`` that of the old ones, and no false changes remain.

The test suite runs a fixed set of examples (``derandomize``: the same cases every run).
The long random search is a separate command (README, "Development"):

    VERTZ_PROPERTY_EXAMPLES=500 python -m pytest -q tests/test_properties.py
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import empty_database
from tests.oracle import reflect
from vertz_engine import Project

TYPES: dict[str, Callable[[], Any]] = {
    "int": sa.Integer,
    "bigint": sa.BigInteger,
    "str20": lambda: sa.String(20),
    "str80": lambda: sa.String(80),
    "text": sa.Text,
    "bool": sa.Boolean,
    "num": lambda: sa.Numeric(10, 2),
    "num2": lambda: sa.Numeric(12, 4),
    "date": sa.Date,
}
DEFAULTS = {"int": "0", "bigint": "0", "str20": "x", "str80": "x", "bool": "0", "num": "0"}
INDEXABLE = {"int", "bigint", "str20", "str80", "bool", "num", "num2", "date"}
# type changes every database can make on a table (numbers among numbers, strings among strings)
CHANGES = {
    "int": ["bigint"],
    "bigint": ["int"],
    "str20": ["str80"],
    "str80": ["str20", "text"],
    "text": ["str80"],
    "num": ["num2"],
    "num2": ["num"],
}

column = st.fixed_dictionaries(
    {
        "type": st.sampled_from(sorted(TYPES)),
        "nullable": st.booleans(),
        "default": st.booleans(),
        "index": st.booleans(),
        "unique": st.booleans(),
    }
)
table = st.dictionaries(
    st.sampled_from(["alpha", "beta", "gamma", "delta", "eps"]), column, min_size=1, max_size=4
)
schema = st.dictionaries(
    st.sampled_from(["items", "orders", "people"]), table, min_size=1, max_size=3
)


Pair = tuple[dict[str, Any], dict[str, Any], dict[str, str]]
SINGULAR = {"items": "item", "orders": "order", "people": "person"}


@st.composite
def mutated(draw: st.DrawFn) -> Pair:
    """(models before, models after, the explicit ``--rename`` decisions the change needs)."""
    before = draw(schema)
    after = {t: {c: dict(v) for c, v in cols.items()} for t, cols in before.items()}
    renames: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "add_table",
                    "drop_table",
                    "add_col",
                    "drop_col",
                    "nullable",
                    "type",
                    "index",
                    "unique",
                    "default",
                    "rename_col",
                ]
            )
        )
        tname = draw(st.sampled_from(sorted(after))) if after else None
        if kind == "add_table":
            name = draw(st.sampled_from(["tags", "notes"]))
            after.setdefault(name, draw(table))
        elif kind == "drop_table" and len(after) > 1 and tname:
            del after[tname]
        elif tname and kind == "add_col":
            name = draw(st.sampled_from(["zeta", "eta", "theta"]))
            col = draw(column)
            col["nullable"] = True  # tables may have rows in real life: keep adds safe
            after[tname].setdefault(name, col)
        elif tname and kind == "drop_col" and len(after[tname]) > 1:
            del after[tname][draw(st.sampled_from(sorted(after[tname])))]
        elif tname:
            cname = draw(st.sampled_from(sorted(after[tname])))
            col = after[tname][cname]
            if kind == "nullable":
                col["nullable"] = not col["nullable"]
            elif kind == "type" and col["type"] in CHANGES:
                col["type"] = draw(st.sampled_from(CHANGES[col["type"]]))
            elif kind in ("index", "unique", "default"):
                col[kind] = not col[kind]
            elif kind == "rename_col" and tname in before and cname in before[tname]:
                # a rename the guess is sure of (the table's name as a prefix), or one it
                # cannot be sure of, given as an explicit decision
                if draw(st.booleans()) and tname in SINGULAR:
                    new = f"{SINGULAR[tname]}_{cname}"
                else:
                    new = cname + "_renamed"
                    renames[f"{tname}.{cname}"] = new
                after[tname] = {new if c == cname else c: v for c, v in after[tname].items()}
    # later steps may have dropped either side of a rename: keep the decisions that still apply
    renames = {
        key: new
        for key, new in renames.items()
        if new in after.get(key.split(".")[0], {})
        and key.split(".")[1] not in after[key.split(".")[0]]
    }
    return before, after, renames


def build(spec: dict[str, Any]) -> sa.MetaData:
    md = sa.MetaData()
    for tname, cols in spec.items():
        columns = [sa.Column("id", sa.Integer, primary_key=True)]
        for cname, c in cols.items():
            indexable = c["type"] in INDEXABLE
            default = DEFAULTS.get(c["type"]) if c["default"] else None
            columns.append(
                sa.Column(
                    cname,
                    TYPES[c["type"]](),
                    nullable=c["nullable"],
                    server_default=default,
                    index=bool(c["index"] and indexable and not c["unique"]),
                    unique=bool(c["unique"] and indexable and c["type"] != "bool"),
                )
            )
        sa.Table(tname, md, *columns)
    return md


def _expected(md: sa.MetaData, engine: sa.Engine) -> dict[str, Any]:
    empty_database(engine)
    md.create_all(engine)
    return reflect(engine)


EXAMPLES = {"sqlite": 60, "postgres": 25, "mysql": 25}
COL = {"type": "str20", "nullable": True, "default": False, "index": True, "unique": False}
SEARCH = int(os.environ.get("VERTZ_PROPERTY_EXAMPLES") or 0)  # > 0: the long random search


def test_random_model_pairs(
    dialect_kind: str, fresh_url: Callable[[], str], tmp_path: Path
) -> None:
    engine = sa.create_engine(fresh_url())
    oracle = sa.create_engine(fresh_url())
    counter = itertools.count()

    @settings(
        max_examples=SEARCH or EXAMPLES[dialect_kind],
        derandomize=not SEARCH,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutated())
    # found by the random search: a column renamed in place (SQLite keeps its position)
    # while create_all() puts the new name where the models have it
    @example(
        (
            {"items": {"beta": COL, "alpha": COL}},
            {"items": {"alpha": COL, "zeta": COL}},
            {"items.beta": "zeta"},
        )
    )
    def check(pair: Pair) -> None:
        before, after, renames = pair
        root = tmp_path / f"ex{next(counter)}"
        empty_database(engine)

        def project(spec: dict[str, Any]) -> Project:
            return Project(engine, build(spec), root / "migrations", root / "snap.json")

        project(before).migrate_dev("before")
        p = project(after)
        result = p.migrate_dev("after", renames=renames)
        assert reflect(engine) == _expected(build(after), oracle)
        assert p.plan_dev().empty
        if result.path is not None:
            p.rollback()
        assert reflect(engine) == _expected(build(before), oracle)

    try:
        check()
    finally:
        engine.dispose()
        oracle.dispose()
