"""The rename guess measured on the corpus (tests/rename_corpus.py): it never acts alone on
an unrelated pair, and it finds most real renames (acting alone, or asking)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rename_corpus import RENAMES, UNRELATED, Case, decision, measure
from vertz_engine.plan.renames import judge


def test_no_unrelated_pair_is_taken_for_a_rename_without_a_question() -> None:
    result = measure()
    print(result.report())  # the numbers in the README's rename section
    assert result.wrong_alone == []
    assert result.precision_alone == 1.0
    # measured: 74/110 = 0.673 acting alone, 105/110 = 0.955 acting or asking
    assert result.recall_alone >= 0.67
    assert result.recall_asked >= 0.95


def test_the_readme_states_the_measured_numbers() -> None:
    result = measure()
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text().split())
    assert (
        f"{result.renames} real renames" in readme
        and f"{result.unrelated} unrelated drop + add pairs" in readme
        and f"precision acting alone {result.precision_alone:.3f}" in readme
        and f"recall acting alone {result.sure}/{result.renames} = {result.recall_alone:.3f}"
        in readme
        and f"recall acting or asking {result.sure + result.asked}/{result.renames} = "
        f"{result.recall_asked:.3f}"
        in readme
    )


@pytest.mark.parametrize("case", UNRELATED, ids=lambda c: f"{c.table}.{c.old}->{c.new}")
def test_unrelated_pairs_are_never_sure(case: Case) -> None:
    assert decision(case) != ("sure", True)


@pytest.mark.parametrize(
    ("old", "new", "table", "confidence"),
    [
        ("billing_address", "shipping_address", "users", "unsure"),
        ("first_name", "last_name", "users", "unsure"),
        ("created_at", "updated_at", "posts", "unsure"),
        ("userName", "user_name", "users", "sure"),
        ("categorys", "categories", "products", "sure"),
        ("usr_id", "user_id", "orders", "sure"),
        ("adress", "address", "users", "unsure"),
        ("title", "todo_title", "todos", "sure"),
        ("email", "email_address", "users", "unsure"),
        ("tbl_orders", "orders", None, "sure"),
        ("todo", "todos", None, "sure"),
        ("title", "name", "todos", "no"),
    ],
)
def test_the_families(old: str, new: str, table: str | None, confidence: str) -> None:
    assert judge(old, new, table).confidence == confidence


def test_every_real_rename_is_labelled_with_its_family() -> None:
    families = {c.family for c in RENAMES}
    assert families == {"style", "plural", "abbreviation", "typo", "affix", "semantic"}
