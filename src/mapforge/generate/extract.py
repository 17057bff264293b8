"""Take the SQL (or the clarifying question) out of a model's answer; never raises.

Order of reading:
1. `CLARIFY: <question>` at the start of the answer is a question for the user.
2. Fenced code blocks: exactly one SQL-looking fence (```sql, ```duckdb, ``` with a SQL
   keyword first, ...) is the SQL; two or more is a problem, not a guess.
3. No fence: the whole answer if it is one statement; else the text from the first
   SELECT/WITH that starts a line (or is written in capitals), if that parses.
4. Otherwise a CLARIFY line anywhere, otherwise "the answer contains no SQL".

SQL is returned as the model wrote it (minus a trailing `;`), not re-printed, so validator
positions point into the answer. A statement that is not a query (DELETE, DROP) is returned
too: the static validator reports it (MF003/MF004) instead of this module hiding it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

NO_SQL = "the answer contains no SQL"
SEVERAL_BLOCKS = "several code blocks"
SEVERAL_STATEMENTS = "several statements"
UNPARSABLE = "the answer is not in a code block and does not parse as SQL"
UNTERMINATED = "\0unterminated"  # a tag no real fence can carry

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([^\n`]*)$", re.MULTILINE)
_SQL_TAGS = frozenset(
    {"", "sql", "duckdb", "postgres", "postgresql", "psql", "pgsql", "plpgsql", "spark",
     "sparksql", "mysql", "sqlite", "tsql", "snowflake", "bigquery", "ansi"}
)  # fmt: skip
_STATEMENT_START = re.compile(
    r"^\s*(\(\s*)*(select|with|from|values|insert|update|delete|merge|create|drop|alter"
    r"|truncate)\b(?!\s*:)",
    re.IGNORECASE,
)
# SELECT/WITH starting a line in any case, or anywhere in capitals: "select" in prose is not
# a query, "Here is the query: SELECT ..." is.
_QUERY_START = re.compile(r"(?m)^[ \t]*(?i:select|with)\b|\b(?:SELECT|WITH)\b")
_INLINE_CODE = re.compile(r"^(`+)(?:sql\b)?\s*(?P<body>.*?)\s*\1$", re.IGNORECASE | re.DOTALL)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_MAX_CANDIDATES = 20  # prose full of "with" must not cost a parse per word
_CLARIFY = re.compile(r"^[\s>*_`#-]*clarify\s*:\s*(?P<question>.*)", re.IGNORECASE | re.DOTALL)
_CLARIFY_LINE = re.compile(r"(?im)^[ \t>*_`#-]*clarify\s*:(?P<question>.*)$")
_LEADING_COMMENTS = re.compile(r"^\s*(?:--[^\n]*(?:\n|$)\s*|/\*.*?\*/\s*)*", re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    """What an answer holds: SQL, a question for the user, or why neither was found."""

    sql: str | None = None
    clarification: str | None = None
    problem: str | None = None


def extract_sql(answer: str, dialect: str = "duckdb") -> Extraction:
    """The one SQL statement, the CLARIFY question, or the problem with the answer."""
    # a byte-order mark is not whitespace to str.strip() but is to a reader
    text = answer.replace("\ufeff", "").strip() if isinstance(answer, str) else ""
    if not text:
        return Extraction(problem="the answer is empty")
    if match := _CLARIFY.match(text):
        return _clarification(match["question"])
    blocks = _fenced_blocks(text)
    if blocks is not None:
        return _from_blocks(blocks, dialect)
    return _from_bare(text, dialect)


def _clarification(question: str) -> Extraction:
    # the question ends where a code block starts: models sometimes add a draft query
    question = " ".join(question.split("```")[0].strip().strip("`*_").split())
    if not question:
        return Extraction(problem="CLARIFY without a question")
    return Extraction(clarification=question)


def _fenced_blocks(text: str) -> list[tuple[str, str]] | None:
    """(tag, body) for each fenced block; None when there are no fences at all.

    An unterminated fence yields a block tagged UNTERMINATED: an answer cut off at the token
    limit can still parse while missing its WHERE clause, so it is never taken.
    """
    fences = list(_FENCE.finditer(text))
    if not fences:
        return None
    blocks: list[tuple[str, str]] = []
    i = 0
    while i < len(fences):
        opening = fences[i]
        closing = _closing(opening, fences[i + 1 :])
        if closing is None:
            blocks.append((UNTERMINATED, text[opening.end() :]))
            break
        blocks.append((opening[2].strip().lower(), text[opening.end() : closing.start()]))
        i = fences.index(closing) + 1
    return blocks


def _closing(opening: re.Match[str], later: list[re.Match[str]]) -> re.Match[str] | None:
    """The fence closing `opening`: same character, at least as long, no info string."""
    char, length = opening[1][0], len(opening[1])
    return next(
        (f for f in later if f[1][0] == char and len(f[1]) >= length and not f[2].strip()), None
    )


def _from_blocks(blocks: list[tuple[str, str]], dialect: str) -> Extraction:
    if any(tag == UNTERMINATED for tag, _ in blocks):
        return Extraction(problem="unterminated code block (the answer may be cut off)")
    sql_blocks = [body for tag, body in blocks if _looks_like_sql(tag, body)]
    if len(sql_blocks) > 1:
        return Extraction(problem=SEVERAL_BLOCKS)
    if not sql_blocks:
        question = _CLARIFY.match("\n".join(body.strip() for _, body in blocks))
        return _clarification(question["question"]) if question else Extraction(problem=NO_SQL)
    return _fenced_sql(sql_blocks[0], dialect)


def _looks_like_sql(tag: str, body: str) -> bool:
    """A fence tagged with a SQL dialect, or untagged with a statement keyword first."""
    tag = tag.split()[0] if tag.split() else ""
    if tag not in _SQL_TAGS or not body.strip():
        return False
    return tag != "" or bool(_STATEMENT_START.match(_strip_comments(body)))


def _fenced_sql(body: str, dialect: str) -> Extraction:
    sql = _trim(body)
    if not sql:
        return Extraction(problem=NO_SQL)
    statements = _statements(sql, dialect)
    if statements is not None and len(statements) > 1:
        return Extraction(problem=SEVERAL_STATEMENTS)
    # a fence is the model saying "this is SQL": one that does not parse still goes to the
    # validator, whose parse-error finding (with line and column) is what a repair needs
    return Extraction(sql=sql)


def _from_bare(text: str, dialect: str) -> Extraction:
    if inline := _INLINE_CODE.match(text):
        text = inline["body"]
    starts = [0] if _STATEMENT_START.match(_strip_comments(text)) else []
    starts += [m.start() for m in _QUERY_START.finditer(text)]
    for start in list(dict.fromkeys(starts))[:_MAX_CANDIDATES]:
        for candidate in _candidates(text[start:]):
            found = _one_statement(candidate, dialect)
            if found is not None:
                return found
    if line := _CLARIFY_LINE.search(text):
        return _clarification(line["question"])
    return Extraction(problem=UNPARSABLE if starts else NO_SQL)


def _candidates(text: str) -> list[str]:
    """The rest of the answer, then its first paragraph: prose often follows bare SQL."""
    paragraph = _PARAGRAPH_END.split(text, maxsplit=1)[0]
    return list(dict.fromkeys([_trim(text), _trim(paragraph)]))


def _one_statement(sql: str, dialect: str) -> Extraction | None:
    """sql if it parses as exactly one statement; a problem if several; None if not SQL."""
    statements = _statements(sql, dialect)
    if not statements or not all(isinstance(s, _STATEMENTS) for s in statements):
        return None
    if len(statements) > 1:
        return Extraction(problem=SEVERAL_STATEMENTS)
    return Extraction(sql=sql)


def _statements(sql: str, dialect: str) -> list[exp.Expr] | None:
    """The parsed statements (empty ones dropped), or None when sqlglot cannot parse."""
    try:
        return [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except Exception:  # noqa: BLE001 - any input must give an answer, and sqlglot
        # raises more than SqlglotError on odd text (RecursionError on deep nesting, ...)
        return None


def _trim(sql: str) -> str:
    """Strip whitespace and trailing semicolons: `SELECT 1;` is one statement."""
    return sql.strip().rstrip(";").rstrip()


def _strip_comments(text: str) -> str:
    return _LEADING_COMMENTS.sub("", text, count=1)


# Roots that make a parse a statement rather than prose sqlglot read as an expression
# ("Hello world" parses as a column with an alias).
_STATEMENTS = (
    exp.Query,
    exp.DML,
    exp.DDL,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Pragma,
    exp.Set,
    exp.Use,
)
