"""Split SQL text into statements with sqlparse's tokenizer (quotes, comments, ``$$``
bodies and ``BEGIN ... END`` trigger bodies are respected), never on bare ``;``."""

from __future__ import annotations

import sqlparse
from sqlparse import tokens as T


def _is_empty(statement: str) -> bool:
    parsed = sqlparse.parse(statement)
    for stmt in parsed:
        for tok in stmt.flatten():  # type: ignore[no-untyped-call]
            if tok.ttype in T.Whitespace or tok.ttype in T.Newline or tok.ttype in T.Comment:
                continue
            if tok.ttype is T.Punctuation and tok.value == ";":
                continue
            return False
    return True


def split(text: str) -> list[str]:
    """The executable statements in ``text``, comments-only chunks dropped."""
    out = []
    for chunk in sqlparse.split(text):
        chunk = chunk.strip()
        if chunk and not _is_empty(chunk):
            out.append(chunk)
    return out
