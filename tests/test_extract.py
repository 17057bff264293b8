"""Taking SQL out of model answers: fences, bare SQL, prose, CLARIFY, and odd input."""

from __future__ import annotations

import pytest

from mapforge.generate.extract import (
    NO_SQL,
    SEVERAL_BLOCKS,
    SEVERAL_STATEMENTS,
    UNPARSABLE,
    Extraction,
    extract_sql,
)

TAKES_SQL = [
    ("```sql\nSELECT a FROM t\n```", "SELECT a FROM t"),
    ("```SQL\nSELECT a FROM t;\n```", "SELECT a FROM t"),
    ("```duckdb\nSELECT a FROM t\n```", "SELECT a FROM t"),
    ("```\nSELECT a FROM t\n```", "SELECT a FROM t"),
    ("```sql\n-- tiers by spend\nSELECT a FROM t\n```", "-- tiers by spend\nSELECT a FROM t"),
    ("Here it is:\n\n```sql\nWITH x AS (SELECT 1 AS a) SELECT a FROM x\n```\nIt uses a CTE.",
     "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
    ("```sql\nSELECT a FROM t\n```\nExample output:\n```text\na\n1\n```", "SELECT a FROM t"),
    ("SELECT a FROM t", "SELECT a FROM t"),
    ("  SELECT a\nFROM t;  \n", "SELECT a\nFROM t"),
    ("Here is the query:\nSELECT a FROM t", "SELECT a FROM t"),
    ("Here is the query: SELECT a FROM t;", "SELECT a FROM t"),
    ("With pleasure.\nselect a from t", "select a from t"),
    ("`SELECT a FROM t`", "SELECT a FROM t"),
    ("```sql\nSELECT a FROM t\n```\nOutput:\n```\na | 1\n```", "SELECT a FROM t"),
    ("The query:\n\n    SELECT a\n    FROM t\n\nIt selects a.", "SELECT a\n    FROM t"),
    ("SELECT a\n\nFROM t", "SELECT a\n\nFROM t"),
    ("SELECT 'naïve — ünïcode' AS s", "SELECT 'naïve — ünïcode' AS s"),
    ("\ufeffSELECT a FROM t", "SELECT a FROM t"),
]  # fmt: skip


@pytest.mark.parametrize(("answer", "sql"), TAKES_SQL)
def test_takes_the_sql(answer: str, sql: str) -> None:
    assert extract_sql(answer) == Extraction(sql=sql)


@pytest.mark.parametrize(
    "answer",
    ["```sql\nDELETE FROM t\n```", "DELETE FROM t WHERE a = 1", "```sql\nDROP TABLE t\n```"],
)
def test_a_statement_that_is_not_a_query_is_handed_on_not_hidden(answer: str) -> None:
    result = extract_sql(answer)
    assert result.sql is not None and result.problem is None


def test_a_fenced_query_that_does_not_parse_goes_to_the_validator() -> None:
    assert extract_sql("```sql\nSELECT a FROM t WHERE\n```").sql == "SELECT a FROM t WHERE"


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        ("CLARIFY: Is amount in cents or euros?", "Is amount in cents or euros?"),
        ("  clarify :   Which date\n  column counts?  ", "Which date column counts?"),
        ("**CLARIFY:** Is amount gross?", "Is amount gross?"),
        ("```\nCLARIFY: Is amount gross?\n```", "Is amount gross?"),
        ("I need to know one thing.\nCLARIFY: Is amount gross?", "Is amount gross?"),
        ("CLARIFY: Is amount gross?\n```sql\nSELECT 1\n```", "Is amount gross?"),
    ],
)
def test_a_clarify_answer_is_a_question(answer: str, question: str) -> None:
    assert extract_sql(answer) == Extraction(clarification=question)


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("I cannot write this query without more information.", NO_SQL),
        ("Please select the right option.", NO_SQL),
        ("Update: I changed my mind.", NO_SQL),
        ("```sql\nSELECT 1\n```\nor\n```sql\nSELECT 2\n```", SEVERAL_BLOCKS),
        ("```sql\nSELECT 1; SELECT 2\n```", SEVERAL_STATEMENTS),
        ("SELECT 1; SELECT 2;", SEVERAL_STATEMENTS),
        ("```python\nprint('SELECT 1')\n```", NO_SQL),
        ("SELECT a FROM t WHERE", UNPARSABLE),
        ("CLARIFY:", "CLARIFY without a question"),
    ],
)
def test_reports_why_no_sql_was_taken(answer: str, problem: str) -> None:
    assert extract_sql(answer) == Extraction(problem=problem)


def test_an_unterminated_fence_is_not_taken() -> None:
    # cut off at the token limit: what is there parses, but the WHERE may be missing
    result = extract_sql("```sql\nSELECT a FROM t")
    assert result.sql is None
    assert result.problem is not None and "unterminated" in result.problem


WEIRD = [
    "",
    " ",
    "\n\n\t",
    "```",
    "``````",
    "```\n```",
    "```sql\n```",
    "```sql",
    "~~~\n~~~",
    ";",
    ";;;",
    "SELECT",
    "SELECT 'unterminated",
    '"',
    "/* open comment",
    "--",
    "((((((((((((((((((((",
    "(" * 5000 + "SELECT 1" + ")" * 5000,
    "WITH " * 2000,
    "select " * 500,
    "\x00\x01\x02",
    "🙂 SELECT 🙂",
    "日本語のみ",
    "```sql\nSELECT 1\n``` trailing ``` fences ```",
    "CLARIFY",
    "clarify: " + "? " * 1000,
    "\ufeffSELECT 1",
    "SELECT 1\r\nFROM t\r\n",
]


@pytest.mark.parametrize("answer", WEIRD, ids=range(len(WEIRD)))
def test_never_raises_and_always_says_something(answer: str) -> None:
    result = extract_sql(answer)
    assert [result.sql, result.clarification, result.problem].count(None) == 2


def test_a_non_string_answer_is_a_problem_not_a_crash() -> None:
    assert extract_sql(None).problem == "the answer is empty"  # type: ignore[arg-type]
