"""Block bodies whose ``;`` do not end the statement, for :mod:`vertz_engine.files.sqlsplit`.

Used only inside a statement whose head announces a body (``CREATE FUNCTION`` on
PostgreSQL; ``CREATE TRIGGER/PROCEDURE/FUNCTION/EVENT`` and compound statements on MySQL),
so a column named ``begin`` or ``end`` elsewhere never opens or closes anything. Words inside
parentheses are never block keywords (parameter lists, function calls, subqueries).
"""

from __future__ import annotations

import re

# where a compound statement (IF, LOOP, ...) can begin inside a MySQL routine
_STATEMENT_START = frozenset(
    {"", ";", ":", ")", "BEGIN", "THEN", "ELSE", "DO", "LOOP", "REPEAT", "ROW"}
    | {"DETERMINISTIC", "DATA", "SQL", "INVOKER", "DEFINER"}  # routine characteristics
)
# after these a BEGIN or END is a name (a column, a table, a variable), not a block keyword
_NAME_CONTEXT = frozenset(
    {".", ",", "=", "(", "<", ">", "!", "+", "-", "*", "/", "%", "@", "|", "&", "^"}
    | {"SET", "SELECT", "WHEN", "BY", "WHERE", "AND", "OR", "NOT", "ON", "AS", "DECLARE", "INTO"}
    | {"FROM", "RETURN", "IS", "IN", "LIKE", "TABLE", "UPDATE", "PROCEDURE", "FUNCTION"}
    | {"TRIGGER", "EVENT", "CALL", "COLUMN", "KEY", "INDEX", "VALUES", "DISTINCT", "RETURNS"}
)
_ENDED_BY_END_X = frozenset({"IF", "LOOP", "WHILE", "REPEAT", "CASE"})
_OPERATOR_FOLLOWS = re.compile(r"\s*(?:[.=,;)<>+*/%|&^]|!=)")
_CASE_WORD_FOLLOWS = re.compile(r"\s*(?:END|WHEN|ELSE)\b", re.I)
_DOT_OR_EQUALS_FOLLOWS = re.compile(r"\s*[.=]")


class MysqlBlocks:
    """``BEGIN ... END``, ``CASE ... END [CASE]``, ``IF ... END IF``, ``LOOP``, ``WHILE`` and
    ``REPEAT`` nesting in a MySQL/MariaDB stored program, fed one token at a time."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.stack: list[str] = []
        self.parens = 0
        self.prev = ""  # the previous token: an upper-cased word, a punctuation mark, or '
        self.prev2 = ""
        self.after_end = False

    def _push_prev(self, value: str) -> None:
        self.prev2, self.prev = self.prev, value

    def _pop_to(self, kinds: frozenset[str] | set[str]) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] in kinds:
                del self.stack[i:]
                return

    def _close(self, word: str) -> bool:
        """Resolve an ``END`` seen just before; True if ``word`` was its ``IF``/``CASE``/..."""
        self.after_end = False
        if word in _ENDED_BY_END_X:
            self._pop_to({word})
            return True
        self._pop_to({"BEGIN", "CASE"})
        return False

    def may_end(self, m: re.Match[str]) -> bool:
        """At a ``;``: whether it ends the statement."""
        if self.after_end:
            self._close(";")
        self._push_prev(";")
        return not self.stack

    def feed(self, m: re.Match[str]) -> None:
        kind, value = m.lastgroup, m.group()
        if kind != "word":
            if self.after_end:
                self._close(value)
            if value == "(":
                self.parens += 1
            elif value == ")":
                self.parens = max(0, self.parens - 1)
            self._push_prev(value if kind == "punct" else "'")
            return
        word = value.upper()
        if self.after_end and self._close(word):
            self._push_prev(word)
            return
        if not self.parens:
            self._keyword(word, m)
        self._push_prev(word)

    def _keyword(self, word: str, m: re.Match[str]) -> None:
        prev, text = self.prev, m.string
        if word == "CASE":
            self.stack.append("CASE")
        elif word in ("IF", "LOOP", "WHILE", "REPEAT"):
            if (
                prev in _STATEMENT_START
                or self.prev2 in ("FOLLOWS", "PRECEDES")
                or (prev == "'" and self.prev2 == "COMMENT")
            ):
                self.stack.append(word)
        elif word == "BEGIN":
            if prev in _NAME_CONTEXT or _OPERATOR_FOLLOWS.match(text, m.end()):
                return
            in_case_branch = prev in ("THEN", "ELSE") and self.stack[-1:] == ["CASE"]
            if in_case_branch and _CASE_WORD_FOLLOWS.match(text, m.end()):
                return  # CASE ... THEN begin END: a column (an empty block there is no use)
            self.stack.append("BEGIN")
        elif word == "END" and self.stack:
            if prev in _NAME_CONTEXT or prev in ("THEN", "ELSE"):
                return
            if _DOT_OR_EQUALS_FOLLOWS.match(text, m.end()):
                return
            self.after_end = True


_ATOMIC = re.compile(r"(?:\s|--[^\n]*\n|/\*.*?\*/)+ATOMIC\b", re.I | re.S)


class PgAtomic:
    """``BEGIN ATOMIC ... END`` bodies of PostgreSQL ``CREATE FUNCTION/PROCEDURE`` (the
    heuristic of psql: ``CASE`` inside them also ends with ``END``)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.depth = 0
        self.parens = 0
        self.prev = ""

    def may_end(self, m: re.Match[str]) -> bool:
        self.prev = ";"
        return self.depth == 0

    def feed(self, m: re.Match[str]) -> None:
        value = m.group()
        if m.lastgroup == "word" and not self.parens and self.prev != ".":
            word = value.upper()
            if word == "BEGIN" and _ATOMIC.match(m.string, m.end()):
                self.depth += 1
            elif word == "CASE" and self.depth:
                self.depth += 1
            elif word == "END" and self.depth:
                self.depth -= 1
        elif value == "(":
            self.parens += 1
        elif value == ")":
            self.parens = max(0, self.parens - 1)
        self.prev = value
