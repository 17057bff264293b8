"""The rule grammar: one row per form, plus the broken forms that must not become free text."""

from __future__ import annotations

import pytest

from mapforge.mapping.cells import CellError
from mapforge.mapping.rules import parse_rule
from mapforge.mapping.spec import RuleKind

PARSED = [
    ("", RuleKind.DIRECT, ()),
    ("direct", RuleKind.DIRECT, ()),
    ("  DIRECT  ", RuleKind.DIRECT, ()),
    ("Straight Move", RuleKind.DIRECT, ()),
    ("cast(date)", RuleKind.CAST, ("DATE",)),
    ("CAST ( decimal( 10,2 ) )", RuleKind.CAST, ("DECIMAL(10, 2)",)),
    ("concat(first_name, ' ', last_name)", RuleKind.CONCAT, ("first_name", "' '", "last_name")),
    ("concat(c.first, ', (', trim(c.last))", RuleKind.CONCAT, ("c.first", "', ('", "trim(c.last)")),
    (
        "Coalesce(nickname,\n first_name, 'n/a')",
        RuleKind.COALESCE,
        ("nickname", "first_name", "'n/a'"),
    ),
    ("default(0)", RuleKind.DEFAULT, ("0",)),
    ("default('N/A')", RuleKind.DEFAULT, ("'N/A'",)),
    ("default(current_date)", RuleKind.DEFAULT, ("current_date",)),
    ("sql: upper(trim(customers.email))", RuleKind.SQL, ("upper(trim(customers.email))",)),
    ("SQL:count_if(o.status = 'open')", RuleKind.SQL, ("count_if(o.status = 'open')",)),
    ("full name = first + last, trimmed", RuleKind.FREE_TEXT, ()),
    ("Cast to integer when numeric", RuleKind.FREE_TEXT, ()),
    ("direct from the CRM export", RuleKind.FREE_TEXT, ()),
    ("default: 0 when missing", RuleKind.FREE_TEXT, ()),
]


@pytest.mark.parametrize(("text", "kind", "args"), PARSED)
def test_each_form_parses(text: str, kind: RuleKind, args: tuple[str, ...]) -> None:
    rule = parse_rule(text, "src_col")
    assert (rule.kind, rule.args) == (kind, args)
    assert rule.text == text.strip()


def test_free_text_is_kept_verbatim() -> None:
    rule = parse_rule("  'high' when LTV >= 1000, else 'low'  ", None)
    assert rule.kind is RuleKind.FREE_TEXT
    assert rule.text == "'high' when LTV >= 1000, else 'low'"
    assert not rule.structured


@pytest.mark.parametrize(
    ("text", "table", "column", "on"),
    [
        (
            "lookup(countries.country_name on country_code)",
            "countries",
            "country_name",
            "country_code",
        ),
        (
            "LOOKUP( ref.countries.name ON countries.code = customers.cc )",
            "ref.countries",
            "name",
            "countries.code = customers.cc",
        ),
    ],
)
def test_lookup(text: str, table: str, column: str, on: str) -> None:
    rule = parse_rule(text, None)
    assert rule.kind is RuleKind.LOOKUP
    assert (rule.lookup_table, rule.lookup_column, rule.lookup_on) == (table, column, on)


BROKEN = [
    (
        "concat(first_name, last_name",
        "missing a closing parenthesis",
        "concat(first_name, ' ', last_name)",
    ),
    ("concat(first_name last_name)", "is not valid SQL", "Expecting )"),
    ("concat(a, )", "empty operand", "write concat"),
    ("concat(a) || 'x'", "unexpected text after concat", "write concat"),
    ("coalesce()", "empty operand", "write coalesce"),
    ("cast(VARCHR)", "'VARCHR' is not a known type", "did you mean VARCHAR?"),
    ("default(1 2)", "is not valid SQL", "Unexpected token"),
    ("default(1, 2)", "takes one value", "default('N/A')"),
    (
        "lookup(countries on code)",
        "is not lookup(",
        "lookup(countries.country_name on country_code)",
    ),
    ("lookup(countries.name)", "is not lookup(", "lookup("),
    (
        "lookup(countries.name on countries.code)",
        "neither a column name nor a condition",
        "condition",
    ),
    ("sql: a +", "is not valid SQL", "Required keyword: 'expression' missing"),
    ("sql: select 1", "not a single SQL expression", "subquery in parentheses"),
    ("sql:", "needs an expression", "sql: upper("),
    ("concat('unclosed, b)", "cannot be read", "Error tokenizing"),
]


@pytest.mark.parametrize(("text", "message", "hint"), BROKEN)
def test_broken_structured_rule_is_an_error(text: str, message: str, hint: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_rule(text, "src_col")
    assert message in caught.value.message
    assert hint in (caught.value.hint or "")


@pytest.mark.parametrize("text", ["", "direct", "cast(INTEGER)"])
def test_rules_that_copy_the_source_need_one(text: str) -> None:
    with pytest.raises(CellError, match="needs a source column"):
        parse_rule(text, None)


def test_scalar_subquery_is_an_expression() -> None:
    rule = parse_rule("sql: (select max(x) from t)", None)
    assert rule.args == ("(select max(x) from t)",)
