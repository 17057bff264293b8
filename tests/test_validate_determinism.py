"""MF408: nothing in the query changes from run to run, unless a rule asks for it."""

from __future__ import annotations

import pytest

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Rule, RuleKind, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql

CATALOG = Catalog.of(
    [
        Table(
            name="orders",
            columns=[Column(name="id", type="INTEGER"), Column(name="status", type="VARCHAR")],
        )
    ]
)


def _target(rule_text: str = "direct") -> Target:
    rule = Rule(kind=RuleKind.FREE_TEXT, text=rule_text)
    return Target(
        name="fct",
        columns=[
            ColumnMapping(name="id", type="INTEGER", source_table="orders"),
            ColumnMapping(name="extra", type="VARCHAR", source_table="orders", rule=rule),
        ],
    )


def found(sql: str, target: Target) -> list[Finding]:
    return [f for f in validate_sql(sql, target, CATALOG) if f.code == "MF408"]


@pytest.mark.parametrize(
    "expression",
    [
        "random()",
        "uuid()",
        "gen_random_uuid()",
        "now()",
        "current_timestamp",
        "current_date",
        "today()",
    ],
)
def test_nondeterministic_functions_are_mf408(expression: str) -> None:
    [finding] = found(f"SELECT id, CAST({expression} AS VARCHAR) AS extra FROM orders", _target())
    assert finding.severity == "error" and finding.column is None


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("current_date", "the current date of the load"),
        ("now()", "when the row was loaded: now"),
        ("today()", "today"),
        ("random()", "a random number"),
        ("gen_random_uuid()", "a random surrogate"),
    ],
)
def test_a_rule_that_asks_for_it_is_fine(expression: str, rule: str) -> None:
    assert (
        found(f"SELECT id, CAST({expression} AS VARCHAR) AS extra FROM orders", _target(rule)) == []
    )


def test_limit_without_order_by_is_mf408_and_with_it_is_not() -> None:
    sql = "SELECT id, (SELECT status FROM orders LIMIT 1) AS extra FROM orders"
    [finding] = found(sql, _target())
    assert "without ORDER BY" in finding.message
    ordered = sql.replace("LIMIT 1", "ORDER BY status LIMIT 1")
    assert found(ordered, _target()) == []


def test_sampling_is_mf408_unless_the_rule_says_sample() -> None:
    sql = "SELECT id, status AS extra FROM orders USING SAMPLE 10"
    assert len(found(sql, _target())) == 1
    assert found(sql, _target("status of a sample of orders")) == []


def test_a_word_inside_another_word_does_not_excuse() -> None:
    # "known" contains "now": words count whole
    assert (
        len(found("SELECT id, CAST(now() AS VARCHAR) AS extra FROM orders", _target("known"))) == 1
    )
