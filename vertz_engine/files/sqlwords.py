"""SQL statements as words: sqlparse's lexer with comments and whitespace dropped, keyword
runs such as ``IF EXISTS`` split into single words, and helpers to read names (any quoting
or qualification), string contents and top-level lists. Used by the production guard."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlparse import lexer
from sqlparse import tokens as T

_DOLLAR = re.compile(r"\A(\$[A-Za-z_0-9]*\$)(.*)\1\Z", re.S)


@dataclass(frozen=True)
class Word:
    """One token: ``kind`` is ``word`` (keyword or name), ``quoted`` (a quoted identifier),
    ``string`` (a literal; ``text`` is its content), ``body`` (a dollar-quoted body),
    ``punct`` or ``other``; ``up`` is the upper-cased text of a ``word``."""

    kind: str
    text: str

    @property
    def up(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def words(sql: str) -> list[Word]:
    """The tokens of ``sql`` that carry meaning."""
    out: list[Word] = []
    for ttype, value in lexer.tokenize(sql):  # type: ignore[no-untyped-call]
        if ttype in T.Whitespace or ttype in T.Newline or ttype in T.Comment:
            continue
        if ttype in T.String.Symbol or (ttype in T.Name and value[:1] in "`["):
            out.append(Word("quoted", _unquote(value)))
        elif ttype in T.Keyword or ttype in T.Name:
            out.extend(Word("word", part) for part in value.split())
        elif ttype in T.Literal and (m := _DOLLAR.match(value)):
            out.append(Word("body", m.group(2)))
        elif ttype in T.String:
            out.append(Word("string", _string_content(value)))
        elif ttype in T.Punctuation:
            out.append(Word("punct", value))
        else:
            out.append(Word("other", value))
    return out


def _unquote(value: str) -> str:
    if value[:1] == "[" and value[-1:] == "]":
        return value[1:-1]
    q = value[:1]
    if q in '"`' and value[-1:] == q and len(value) >= 2:
        return value[1:-1].replace(q + q, q)
    return value


def _string_content(value: str) -> str:
    body = value[1:-1] if len(value) >= 2 and value[0] == value[-1] else value
    return body.replace(value[:1] * 2, value[:1]).replace("\\'", "'")


def is_name(w: Word) -> bool:
    return w.kind in ("word", "quoted")


def read_name(ws: list[Word], i: int) -> tuple[str | None, int]:
    """The (possibly qualified) name starting at ``ws[i]``, unquoted and joined with ``.``,
    and the index after it; ``(None, i)`` when no name starts there."""
    parts: list[str] = []
    while i < len(ws) and is_name(ws[i]):
        parts.append(ws[i].text)
        if i + 2 < len(ws) and ws[i + 1].text == "." and is_name(ws[i + 2]):
            i += 2
            continue
        i += 1
        break
    return (".".join(parts) if parts else None), i


def skip(ws: list[Word], i: int, *phrases: str) -> int:
    """Skip any of the keyword ``phrases`` (e.g. ``"IF EXISTS"``) found at ``ws[i]``."""
    moved = True
    while moved:
        moved = False
        for phrase in phrases:
            parts = phrase.split()
            if [w.up for w in ws[i : i + len(parts)]] == parts:
                i += len(parts)
                moved = True
    return i


def split_top(ws: list[Word], sep: str = ",") -> list[list[Word]]:
    """``ws`` cut at the separators that are not inside parentheses."""
    out: list[list[Word]] = [[]]
    depth = 0
    for w in ws:
        if w.kind == "punct" and w.text == "(":
            depth += 1
        elif w.kind == "punct" and w.text == ")":
            depth -= 1
        elif depth == 0 and w.kind == "punct" and w.text == sep:
            out.append([])
            continue
        out[-1].append(w)
    return [part for part in out if part]


def find_top(ws: list[Word], word: str) -> int | None:
    """The index of keyword ``word`` outside parentheses, if it occurs."""
    depth = 0
    for i, w in enumerate(ws):
        if w.kind == "punct" and w.text == "(":
            depth += 1
        elif w.kind == "punct" and w.text == ")":
            depth -= 1
        elif depth == 0 and w.up == word:
            return i
    return None


def strings_joined(ws: list[Word], hole: str) -> str | None:
    """The text a dynamic SQL expression builds, its non-literal parts replaced by ``hole``:
    ``'DROP TABLE ' || quote_ident(t)`` -> ``DROP TABLE hole``; ``format()``'s ``%I``/``%s``/
    ``%L`` become ``hole`` too; what comes before the first literal is dropped. ``None`` when the expression has no literal text at all."""
    pieces: list[str] = []
    literal = False
    for w in ws:
        if w.kind in ("string", "body"):
            pieces.append(re.sub(r"%[ILs]", f" {hole} ", w.text).replace("%%", "%"))
            literal = True
        elif pieces and pieces[-1] != f" {hole} ":
            pieces.append(f" {hole} ")
    return "".join(pieces) if literal else None
