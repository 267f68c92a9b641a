"""Split SQL text into statements with sqlparse's tokenizer (quotes, comments, ``$$``
bodies and ``BEGIN ... END`` trigger bodies are respected), never on bare ``;``."""

from __future__ import annotations

import re

from sqlparse import tokens as T
from sqlparse.engine import FilterStack

_SKIP = (T.Whitespace, T.Newline, T.Comment)


def _has_code(stmt: object) -> bool:
    for tok in stmt.flatten():  # type: ignore[attr-defined]
        if tok.ttype is T.Punctuation and tok.value == ";":
            continue
        if not any(tok.ttype in skip for skip in _SKIP):
            return True
    return False


_PLAIN = re.compile(r"""['"`$\[#]|/\*|\bBEGIN\b|\bCASE\b""", re.I)
_COMMENT_WITH_SEMICOLON = re.compile(r"--[^\n]*;")


def _is_plain(text: str) -> bool:
    """No quotes, brackets, ``$``, block comments, ``BEGIN``/``CASE`` blocks, and no ``;`` in
    a line comment: every ``;`` ends a statement, so the tokenizer would cut exactly there."""
    if _PLAIN.search(text) or _COMMENT_WITH_SEMICOLON.search(text):
        return False
    depth = 0  # and every ";" outside parentheses
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
        elif ch == ";" and depth:
            return False
    return depth == 0


def _is_comment_only(chunk: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("--") for line in chunk.splitlines())


def split(text: str) -> list[str]:
    """The executable statements in ``text``, comments-only chunks dropped."""
    if _is_plain(text):  # the common generated file: same result, without the tokenizer
        parts = text.split(";")
        out = [(p + ";").strip() for p in parts[:-1] if not _is_comment_only(p)]
        if not _is_comment_only(parts[-1]):
            out.append(parts[-1].strip())
        return out
    out = []
    for stmt in FilterStack().run(text):  # type: ignore[no-untyped-call]
        if _has_code(stmt):
            chunk = str(stmt).strip()
            if chunk:
                out.append(chunk)
    return out
