"""The production guard's statement reading: a section's statements as words, each
statement found (also inside bodies and dynamic SQL) and handed to its rule in
:mod:`.guard_rules`; a statement that cannot destroy anything is not tokenized at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from vertz_engine.files.file_format import REBUILD_PREFIX
from vertz_engine.files.guard_rules import READERS, Context
from vertz_engine.files.sqlwords import Word, words
from vertz_engine.losses import UNKNOWN, Loss

# first words of statements the guard knows (anything else at the top level is unknown)
_KNOWN = set(
    """SELECT INSERT UPDATE REPLACE MERGE WITH VALUES TABLE CREATE COMMENT GRANT REVOKE SET RESET
    SHOW PRAGMA ANALYZE ANALYSE VACUUM REINDEX CLUSTER REFRESH LOCK UNLOCK BEGIN START COMMIT
    END ROLLBACK SAVEPOINT RELEASE DEALLOCATE EXECUTE PREPARE DO CALL DECLARE RENAME USE
    OPTIMIZE CHECKPOINT DISCARD LISTEN NOTIFY UNLISTEN COPY EXPLAIN FLUSH ATTACH SECURITY
    IMPORT LOAD DETACH ABORT DROP TRUNCATE DELETE ALTER""".split()
)
# words that start a statement wherever a statement may start (also inside bodies)
_VERBS = _KNOWN - {"TABLE", "VALUES", "BEGIN", "END", "START", "DECLARE", "USE"}
_STARTS_AFTER = {"THEN", "ELSE", "LOOP", "BEGIN", "AS"}


def read_section(statements: Sequence[str]) -> tuple[list[Loss], Context, list[list[Word]]]:
    """What each statement destroys (the type changes left in the context for the caller to
    judge), the context, and each statement's words (empty where none can destroy)."""
    ctx = Context(scan=_scan_body)
    found: list[Loss] = []
    all_words = []
    for index, statement in enumerate(statements, 1):
        ws = [] if _cannot_destroy(statement) else words(statement)
        while ws and ws[-1].text == ";":
            ws.pop()
        all_words.append(ws)
        ctx.statement = index
        if ws and ws[0].kind == "word" and ws[0].up not in _KNOWN:
            found.append(Loss(index, UNKNOWN, ws[0].up))
            continue
        found.extend(replace(f, statement=index) for f in _scan(ws, ctx, start=True))
    return found, ctx, all_words


# Every loss needs one of these words in the statement's text (or an unknown first word:
# ALTER TABLE loses data only by DROP, TRUNCATE PARTITION or a type change);
# a statement without them is not tokenized (a data file of INSERTs is read in no time).
_LOSS_WORDS = "DROP TRUNCATE DELETE TYPE MODIFY CHANGE EXECUTE PREPARE CALL PROCEDURE FUNCTION"
_REBUILD = REBUILD_PREFIX.upper()
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*\n|/\*.*?\*/)*([A-Za-z_]+)\b", re.S)


def _cannot_destroy(statement: str) -> bool:
    """Cheap and sound: no loss word, a known first word (not SET, which records a variable
    for a later PREPARE), and not part of a SQLite rebuild."""
    m = _FIRST_WORD.match(statement)
    if m is None or m.group(1).upper() not in _KNOWN - {"SET"}:
        return False
    text = statement.upper()
    return not any(word in text for word in _LOSS_WORDS.split()) and _REBUILD not in text


def _scan(ws: list[Word], ctx: Context, *, start: bool) -> list[Loss]:
    """Find the statements in ``ws`` (a statement, or a body of several) and read each."""
    found: list[Loss] = []
    i = 0
    while i < len(ws):
        w = ws[i]
        if w.kind == "body":
            found.extend(_scan(words(w.text), ctx.body(), start=True))
        elif start and w.up in _VERBS:
            end = _segment_end(ws, i)
            found.extend(_statement(ws[i:end], ctx))
            i, start = end, False
            continue
        start = (w.kind == "punct" and w.text in (";", "(")) or w.up in _STARTS_AFTER
        i += 1
    return found


def _segment_end(ws: list[Word], i: int) -> int:
    creates_trigger = ws[i].up == "CREATE" and any(w.up == "TRIGGER" for w in ws[i : i + 8])
    depth = 0
    for j in range(i + 1, len(ws)):
        w = ws[j]
        if w.kind == "punct" and w.text == "(":
            depth += 1
        elif w.kind == "punct" and w.text == ")":
            depth -= 1
            if depth < 0:
                return j
        elif depth == 0 and w.kind == "punct" and w.text == ";":
            return j
        elif depth == 0 and w.up == "BEGIN" and ws[i].up == "CREATE":
            # a trigger's body runs on later writes, not now; a procedure's body is read
            return len(ws) if creates_trigger else j
    return len(ws)


def _statement(seg: list[Word], ctx: Context) -> list[Loss]:
    verb = seg[0].up
    reader = READERS.get(verb)
    found = reader(seg, ctx) if reader is not None else []
    if verb == "CREATE" and any(w.up == "TRIGGER" for w in seg[:8]):
        return found
    return found + _scan(seg[1:], ctx, start=False)


def _scan_body(ws: list[Word], ctx: Context) -> list[Loss]:
    return _scan(ws, ctx, start=True)
