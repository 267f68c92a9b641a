"""Passwords never appear in output, wherever they sit in the URL; masking follows the URL's
structure, so messages are never garbled and short passwords are not revealed."""

from __future__ import annotations

import pytest

from tests import models
from tests.helpers import AppFactory
from vertz_engine.secrets import mask_url, mask_urls_in


@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://u@h/db?password=s3cret", "postgresql://u@h/db?password=***"),
        (
            "mysql+pymysql://root:a@h/db?charset=utf8mb4&passwd=b",
            "mysql+pymysql://root:***@h/db?charset=utf8mb4&passwd=***",
        ),
        (
            "postgresql://u@h/db?sslpassword=x&sslmode=require",
            "postgresql://u@h/db?sslpassword=***&sslmode=require",
        ),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_mask_url_by_structure(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_text_is_not_garbled_by_a_short_password() -> None:
    text = "cannot connect to postgresql://a:a@h/a: password authentication failed for a"
    assert mask_urls_in(text) == (
        "cannot connect to postgresql://a:***@h/a: password authentication failed for a"
    )


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://vertz:pw-in-userinfo@127.0.0.1:1/nodb",
        "postgresql+psycopg://vertz@127.0.0.1:1/nodb?password=pw-in-query",
    ],
)
def test_no_password_in_any_output(make_app_on, tmp_path, capsys, url: str) -> None:  # type: ignore[no-untyped-def]
    secret = "pw-in-userinfo" if "userinfo" in url else "pw-in-query"
    factory: AppFactory = make_app_on(url)
    app = factory(models.v1, VERTZ_ENV="production", VERTZ_LOCK_TIMEOUT=1)
    runner = app.test_cli_runner()
    for args in (["status"], ["status", "--json"], ["migrate", "deploy"], ["rollback"]):
        r = runner.invoke(args=["vertz-db", *args])
        assert r.exit_code == 1, r.output
        assert secret not in r.output
        assert "***" in r.output
    with pytest.raises(Exception) as info:  # noqa: PT011 - the boot's own error type
        factory(models.v1, VERTZ_ENV="development")
    captured = capsys.readouterr()
    assert secret not in captured.err + captured.out + str(info.value)
