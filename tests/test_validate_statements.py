"""MF001-MF004: the gates that decide whether the SQL is one read-only query at all."""

from __future__ import annotations

import pytest

from mapforge.catalog.model import Catalog, Column, Table
from mapforge.mapping.spec import ColumnMapping, Target
from mapforge.validate.static import validate_sql

CATALOG = Catalog.of([Table(name="orders", columns=[Column(name="id", type="INTEGER")])])
TARGET = Target(name="t", columns=[ColumnMapping(name="id", type="INTEGER")])


def codes(sql: str) -> list[str]:
    return [f.code for f in validate_sql(sql, TARGET, CATALOG)]


def test_parse_error_names_line_and_column() -> None:
    [finding] = validate_sql("SELECT (id\nFROM orders", TARGET, CATALOG)
    assert finding.code == "MF001"
    assert "line 2" in finding.message and "Token" not in finding.message


def test_unterminated_string_is_a_parse_error() -> None:
    assert codes("SELECT 'abc FROM orders") == ["MF001"]


def test_valid_sql_is_no_parse_error() -> None:
    assert codes("SELECT id FROM orders") == []


@pytest.mark.parametrize(
    "sql", ["", "  ;  ", "-- just a comment\n", "SELECT id FROM orders; SELECT 1"]
)
def test_not_one_statement(sql: str) -> None:
    assert codes(sql) == ["MF002"]


def test_trailing_semicolon_is_still_one_statement() -> None:
    assert codes("SELECT id FROM orders;") == []


@pytest.mark.parametrize("sql", ["DESCRIBE orders", "SHOW TABLES", "VALUES (1)"])
def test_not_a_query(sql: str) -> None:
    assert codes(sql) == ["MF003"]


@pytest.mark.parametrize(
    "sql",
    [
        "(SELECT id FROM orders)",
        "SELECT id FROM orders UNION SELECT id FROM orders",
        "WITH x AS (SELECT id FROM orders) SELECT id FROM x",
        "FROM orders SELECT id",
    ],
)
def test_queries_of_every_shape_pass_the_gate(sql: str) -> None:
    assert codes(sql) == []


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO orders SELECT 1",
        "CREATE TABLE x AS SELECT id FROM orders",
        "DROP TABLE orders",
        "DELETE FROM orders",
        "UPDATE orders SET id = 1",
        "TRUNCATE orders",
        "ALTER TABLE orders ADD COLUMN x INT",
        "SELECT id INTO copy_of_orders FROM orders",
        "COPY orders TO 'out.csv'",
        "ATTACH 'other.db'",
        "SET threads = 1",
    ],
)
def test_writes_and_ddl_are_refused(sql: str) -> None:
    assert codes(sql) == ["MF004"]


def test_a_write_hidden_in_a_cte_is_refused() -> None:
    sql = "WITH gone AS (DELETE FROM orders RETURNING id) SELECT id FROM gone"
    [finding] = validate_sql(sql, TARGET, CATALOG, dialect="postgres")
    assert finding.code == "MF004" and "DELETE" in finding.message


def test_a_cte_that_only_reads_is_not_a_write() -> None:
    assert codes("WITH kept AS (SELECT id FROM orders WHERE id > 0) SELECT id FROM kept") == []
