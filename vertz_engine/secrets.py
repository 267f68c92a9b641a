"""Database URLs with their secrets masked, by the URL's structure (never by replacing
substrings of a message: that garbles the text and reveals short passwords)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import sqlalchemy as sa

MASK = "***"
#: query parameters that carry a secret (``?password=``, ``?sslpassword=``, ``?token=`` ...)
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|credential|api_?key|auth", re.IGNORECASE)
#: something shaped like a URL with a scheme, inside free text
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def _masked_query(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, MASK if _SECRET_KEY.search(k) else v) for k, v in pairs]


def mask_url(url: str | sa.URL) -> str:
    """``url`` with the password masked wherever it sits: in the user info or in the
    query (``?password=...``, ``?sslpassword=...``)."""
    try:
        parsed = sa.make_url(url)
    except Exception:  # noqa: BLE001 - not a SQLAlchemy URL: fall back to the generic form
        return _mask_generic(str(url))
    base = parsed.set(query={}).render_as_string(hide_password=True)
    pairs = [
        (key, item)
        for key, value in parsed.query.items()
        for item in ((value,) if isinstance(value, str) else value)
    ]
    return base + ("?" + _render_query(pairs) if pairs else "")


def _render_query(pairs: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote(k, safe='')}={v if v == MASK else quote(v, safe='')}"
        for k, v in _masked_query(pairs)
    )


def _mask_generic(text: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}{':' + MASK if sep else ''}@{host}"
    query = _render_query(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_urls_in(text: str) -> str:
    """``text`` with every URL in it masked by :func:`mask_url`."""

    def one(match: re.Match[str]) -> str:
        url = match.group(0)
        trail = len(url) - len(url.rstrip(".,:;)]}"))
        return mask_url(url[: len(url) - trail]) + url[len(url) - trail :]

    return _URL_IN_TEXT.sub(one, text)
