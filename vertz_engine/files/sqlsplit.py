"""Split a migration file into statements, per dialect, in one linear pass.

A compiled scanner jumps from one token that matters to the next (a quote, a comment, a
``$tag$`` body, a ``;``) and lets the regex engine skip strings and comments whole, so a
megabyte splits in milliseconds. What a token is depends on the database:

- PostgreSQL: ``'...'`` standard strings (``''`` escapes, backslash is a plain character),
  ``E'...'`` escape strings (backslash escapes), ``$$`` / ``$tag$`` bodies, ``"identifiers"``,
  ``--`` and nested ``/* */`` comments; ``BEGIN ATOMIC ... END`` bodies of
  ``CREATE FUNCTION/PROCEDURE``.
- MySQL/MariaDB: ``'...'`` and ``"..."`` with backslash escapes and doubled quotes,
  `` `identifiers` ``, ``#`` and ``-- `` comments (a space after ``--``), ``/* */``; the
  ``BEGIN ... END`` bodies of triggers, procedures, functions and events (with ``IF``,
  ``CASE``, ``LOOP``, ``WHILE``, ``REPEAT`` inside) and MariaDB's top-level compound
  statements. ``DELIMITER`` (a mysql client command) is refused: it is not needed.
- SQLite: ``'...'`` with ``''``, ``"..."``, ``[...]`` and `` `...` `` identifiers, ``--`` and
  ``/* */``; a ``CREATE [TEMP] TRIGGER`` ends at ``; END ;`` (the rule of ``sqlite3_complete``).

Keywords used as names (a column ``begin`` or ``end``) never open a block: blocks are looked
for only inside statements whose head says they have a body. The servers' defaults are
assumed: PostgreSQL ``standard_conforming_strings`` on, MySQL without ``ANSI_QUOTES`` or
``NO_BACKSLASH_ESCAPES``. With no dialect, strings are read as the SQL standard says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from vertz_engine.dialects import known, traits
from vertz_engine.errors import MigrationFileError
from vertz_engine.files.sqlblocks import MysqlBlocks, PgAtomic

_WS = re.compile(r"\S")
_SQ = r"'[^']*+(?:''[^']*+)*+(?:'|\Z)"  # '' escapes only
_SQ_BS = r"'[^'\\]*+(?:(?:''|\\.)[^'\\]*+)*+(?:'|\Z)"  # also backslash escapes
_DQ = r'"[^"]*+(?:""[^"]*+)*+(?:"|\Z)'
_DQ_BS = r'"[^"\\]*+(?:(?:""|\\.)[^"\\]*+)*+(?:"|\Z)'
_BQ = r"`[^`]*+(?:``[^`]*+)*+(?:`|\Z)"
_BRACKET = r"\[[^\]]*+(?:\]|\Z)"
_ESCAPE_STRING = re.compile(_SQ_BS, re.S)  # after E: E'...'
_BLOCK_COMMENT = r"/\*(?:[^*]|\*(?!/))*+(?:\*/|\Z)"  # not nested
_DOLLAR = r"(?<![\w$])\$(?:[^\W\d]\w*)?\$"
_MYSQL_EXECUTABLE_COMMENT = r"/\*!(?:[^*]|\*(?!/))*+(?:\*/|\Z)"  # code: MySQL runs it
_MYSQL_DASHES = r"--(?=[\s\x00-\x1f]|\Z)[^\n]*"


@dataclass(frozen=True)
class _Lexicon:
    name: str  # the family of SQL it reads (``Traits.family``; "" for another database)
    code: str  # regex alternatives: strings and identifiers (code)
    comment: str  # regex alternatives: comments (not code)
    nested_comments: bool
    dollar: bool
    sep: str  # whitespace and comments between two words
    first: str  # the characters a token can start with
    e_strings: bool = False  # E'...' reads backslash escapes
    # which statements have a body with its own ``;`` (see the module doc):
    compound_blocks: bool = False  # MySQL's BEGIN ... END bodies and compound statements
    trigger_rule: bool = False  # a CREATE TRIGGER ends at ``; END ;`` (SQLite)
    atomic_bodies: bool = False  # CREATE FUNCTION/PROCEDURE ... BEGIN ATOMIC ... END

    @property
    def token(self) -> re.Pattern[str]:
        return _compile(self.name, "")

    @property
    def block_token(self) -> re.Pattern[str]:
        return _compile(self.name, r"|(?P<word>[\w$]+)|(?P<punct>[^\s\w$])")


_DASH_SEP = r"(?:\s|--[^\n]*+(?:\n|\Z)|/\*(?:[^*]|\*(?!/))*+\*/)"
_LEXICONS = {
    "postgresql": _Lexicon(
        "postgresql",
        f"{_SQ}|{_DQ}",
        r"--[^\n]*+",
        True,
        True,
        _DASH_SEP,
        ";'\"-/$",
        e_strings=True,
        atomic_bodies=True,
    ),
    "mysql": _Lexicon(
        "mysql",
        f"{_SQ_BS}|{_DQ_BS}|{_BQ}|{_MYSQL_EXECUTABLE_COMMENT}",
        rf"{_MYSQL_DASHES}|#[^\n]*+|{_BLOCK_COMMENT}",
        False,
        False,
        r"(?:\s|#[^\n]*+(?:\n|\Z)|--\s[^\n]*+(?:\n|\Z)|/\*(?:[^*]|\*(?!/))*+\*/)",
        ";'\"`#-/",
        compound_blocks=True,
    ),
    "sqlite": _Lexicon(
        "sqlite",
        f"{_SQ}|{_DQ}|{_BQ}|{_BRACKET}",
        rf"--[^\n]*+|{_BLOCK_COMMENT}",
        False,
        False,
        _DASH_SEP,
        ";'\"`[-/",
        trigger_rule=True,
    ),
    # dialect not known: SQL-standard strings, the union of the other comment styles
    "": _Lexicon(
        "",
        f"{_SQ}|{_DQ}|{_BQ}",
        r"--[^\n]*+|#[^\n]*+",
        True,
        True,
        _DASH_SEP,
        ";'\"`#-/$",
        e_strings=True,
        trigger_rule=True,
        atomic_bodies=True,
    ),
}


@cache
def _compile(name: str, extra: str) -> re.Pattern[str]:
    lex = _LEXICONS[name]
    parts = ["(?P<semi>;)", f"(?P<code>{lex.code})", f"(?P<comment>{lex.comment})"]
    if lex.nested_comments:
        parts.append(r"(?P<nested>/\*)")
    if lex.dollar:
        parts.append(f"(?P<dollar>{_DOLLAR})")
    if extra:
        return re.compile("|".join(parts) + extra, re.S)
    # a lookahead on the characters that can start a token lets the regex engine skip
    # the plain text between tokens quickly (named alternatives alone disable that)
    return re.compile(f"(?=[{re.escape(lex.first)}])(?:{'|'.join(parts)})", re.S)


@cache
def _head(name: str) -> re.Pattern[str]:
    """The start of a statement that has a body with its own ``;`` (see the module doc)."""
    lex = _LEXICONS[name]
    s, o = lex.sep + "+", lex.sep + "*"
    if lex.compound_blocks:
        user = r"(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\w$.%-]+)"
        definer = rf"DEFINER{o}={o}(?:CURRENT_USER(?:{o}\({o}\))?|{user}(?:{o}@{o}{user})?){s}"
        create = (
            rf"CREATE{s}(?:OR{s}REPLACE{s})?(?:{definer})?(?:SQL{s}SECURITY{s}\w+{s})?"
            rf"(?:AGGREGATE{s})?(?P<mysql>TRIGGER|PROCEDURE|FUNCTION|EVENT)\b"
        )
        compound = rf"(?:\w+{o}:{o})?(?:BEGIN{s}NOT{s}ATOMIC|IF|CASE|LOOP|REPEAT|WHILE)\b"
        return re.compile(f"{create}|(?P<compound>{compound})", re.I)
    heads = []
    if lex.trigger_rule:
        heads.append(rf"(?:EXPLAIN{s})?CREATE{s}(?:(?:TEMP|TEMPORARY){s})?(?P<trigger>TRIGGER)\b")
    if lex.atomic_bodies:
        heads.append(rf"CREATE{s}(?:OR{s}REPLACE{s})?(?P<function>FUNCTION|PROCEDURE)\b")
    return re.compile("|".join(heads), re.I)


@cache
def _trigger_end(name: str) -> re.Pattern[str]:
    s = _LEXICONS[name].sep
    return re.compile(rf"{s}*END{s}*(?:;|\Z)", re.I)


_NESTED_MARKS = re.compile(r"/\*|\*/")
_DELIMITER = re.compile(r"DELIMITER\b", re.I)


def _dialect(dialect: str | None) -> str:
    """The key of the lexicon for ``dialect``: its family ("" for another database, read
    as the SQL standard says)."""
    return traits(dialect).family if dialect and known(dialect) else ""


def split(text: str, *, dialect: str | None = None) -> list[str]:
    """The executable statements in ``text``: each runs from the end of the one before up to
    and including its ``;`` (surrounding whitespace removed, so a comment after a ``;`` goes
    with the next statement); chunks of only comments are dropped.

    ``dialect`` is the database's (``sqlite``, ``postgresql``, ``mysql``/``mariadb``); ``None``
    reads SQL-standard strings, for callers that do not know the database."""
    return [text[a:b].strip() for a, b in spans(text, _dialect(dialect))]


def _skip_nested(text: str, pos: int) -> int:
    """The end of the nested ``/* */`` comment that starts at ``pos``."""
    depth = 0
    for m in _NESTED_MARKS.finditer(text, pos):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)


def _is_escape_string(text: str, at: int) -> bool:
    """Whether the quote at ``at`` opens a PostgreSQL ``E'...'`` string (an ``E`` that is a
    word of its own, not the end of a name such as ``type'...'``)."""
    if text[at] != "'" or at == 0 or text[at - 1] not in "eE":
        return False
    before = text[at - 2] if at >= 2 else " "
    return not (before.isalnum() or before in "_$")


def _skip_dollar(text: str, m: re.Match[str]) -> int:
    close = text.find(m.group(), m.end())
    return len(text) if close < 0 else close + len(m.group())


def spans(text: str, name: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each statement in ``text`` (``name`` from ``_dialect``)."""
    n, out = len(text), []
    lex = _LEXICONS[name]
    token = lex.token
    start = pos = 0
    code_at = -1  # the first code of the current statement; -1 while only comments
    blocks: MysqlBlocks | PgAtomic | None = None
    trigger = False
    while pos < n:
        m = (blocks.pattern if blocks else token).search(text, pos)
        at = m.start() if m else n
        if code_at < 0 and (w := _WS.search(text, pos, at)) is not None:
            code_at = pos = w.start()
            blocks, trigger = _body_of(text, pos, name)
            if blocks is not None:
                continue  # read the statement again, word by word
            if m is None:
                break
        elif m is None:
            break
        kind = m.lastgroup
        pos = m.end()
        if kind == "semi":
            if blocks is not None and not blocks.may_end(m):
                continue
            if trigger:
                end = _trigger_end(name).match(text, pos)
                if end is None:
                    continue
                pos = end.end()
            if code_at >= 0:
                out.append((start, pos))
            start, code_at, blocks, trigger = pos, -1, None, False
        elif kind == "comment":
            pass
        elif kind == "nested":
            pos = _skip_nested(text, at)
        else:
            if kind == "dollar":
                pos = _skip_dollar(text, m)
            elif lex.e_strings and _is_escape_string(text, at):
                pos = _ESCAPE_STRING.match(text, at).end()  # type: ignore[union-attr]
            if code_at < 0:
                code_at = at
            if blocks is not None:
                blocks.feed(m)
    if code_at >= 0:
        out.append((start, n))
    return out


def _body_of(text: str, at: int, name: str) -> tuple[MysqlBlocks | PgAtomic | None, bool]:
    """What the statement starting with a word at ``at`` needs: block tracking, the SQLite
    trigger rule (True), or nothing."""
    lex = _LEXICONS[name]
    if lex.compound_blocks and _DELIMITER.match(text, at):
        line = text.count("\n", 0, at) + 1
        raise MigrationFileError(
            f"line {line}: DELIMITER is a command of the mysql client, not SQL; remove the "
            f"DELIMITER lines and end each statement with ';' (BEGIN ... END bodies are "
            f"recognised without it)"
        )
    m = _head(name).match(text, at)
    if m is None:
        return None, False
    if m.lastgroup == "trigger":
        return None, True
    if m.lastgroup == "function":
        return PgAtomic(lex.block_token), False
    return MysqlBlocks(lex.block_token), False
