"""MF409: the mapping's filter is applied, conjunct by conjunct, in any equivalent spelling."""

from __future__ import annotations

import pytest

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.findings import Finding
from mapforge.validate.static import validate_sql

CATALOG = Catalog.of(
    [
        Table(
            name="orders",
            columns=[
                Column(name="id", type="INTEGER"),
                Column(name="status", type="VARCHAR"),
                Column(name="is_test", type="BOOLEAN"),
                Column(name="email", type="VARCHAR"),
            ],
        )
    ]
)
FILTER = "orders.status <> 'cancelled' AND orders.is_test = false AND email IS NOT NULL"
TARGET = Target(
    name="fct",
    columns=[ColumnMapping(name="id", type="INTEGER", source_table="orders")],
    filter=FILTER,
)


def found(sql: str, target: Target = TARGET) -> list[Finding]:
    return [f for f in validate_sql(sql, target, CATALOG) if f.code == "MF409"]


@pytest.mark.parametrize(
    "where",
    [
        FILTER,
        "'cancelled' != o.status AND NOT o.is_test AND NOT o.email IS NULL",
        "o.email IS NOT NULL AND o.status NOT IN ('cancelled') AND o.is_test = FALSE",
    ],
)
def test_the_filter_in_any_equivalent_spelling_is_clean(where: str) -> None:
    sql = f"SELECT o.id FROM orders AS o WHERE {where}".replace("orders.", "o.").replace(
        " email", " o.email"
    )
    assert found(sql) == []


def test_a_cte_may_apply_the_filter_early() -> None:
    sql = f"WITH o AS (SELECT * FROM orders WHERE {FILTER}) SELECT o.id FROM o"
    assert found(sql) == []


def test_a_removed_conjunct_is_mf409() -> None:
    sql = "SELECT id FROM orders WHERE orders.status <> 'cancelled' AND orders.is_test = false"
    [finding] = found(sql)
    assert "NOT email IS NULL" in finding.message  # sqlglot spells IS NOT NULL so


def test_an_inverted_filter_is_mf409() -> None:
    sql = f"SELECT id FROM orders WHERE {FILTER.replace('<>', '=')}"
    [finding] = found(sql)
    assert "orders.status <> 'cancelled'" in finding.message


def test_no_filter_at_all_names_every_conjunct() -> None:
    assert len(found("SELECT id FROM orders")) == 3


def test_a_target_without_a_filter_is_not_checked() -> None:
    target = TARGET.model_copy(update={"filter": None})
    assert found("SELECT id FROM orders", target) == []
