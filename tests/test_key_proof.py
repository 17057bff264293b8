"""A target's key proved unique and not null from the catalog's constraints and the SELECT.

The proof (pipeline/key_proof.py) must say no wherever duplicates or nulls are possible; the
run then scans the built table, and that scan is what catches them.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from mapforge import api
from mapforge.catalog.model import Catalog, Column, Table
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.pipeline.key_proof import prove_key
from mapforge.project import open_project

RETAIL = """
create table customers (customer_id bigint primary key, country_code varchar not null);
create table orders (order_id bigint primary key, customer_id bigint not null, order_date date);
create table order_items (order_id bigint, line_no integer, quantity integer,
                          primary key (order_id, line_no));
create table lines_no_pk (order_id bigint, line_no integer);
create table regions (country_code varchar, region varchar);
create view orders_v as select * from orders;
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with DuckDBEngine(":memory:") as engine:
        engine.execute(RETAIL)
        return engine.catalog()


def proof(
    sql: str,
    key: list[str],
    catalog: Catalog,
    *,
    enforces: bool = True,
    targets: frozenset[str] = frozenset(),
) -> tuple[bool, str]:
    found = prove_key(sql, key, catalog, enforces_keys=enforces, targets=targets)
    return found.proved, found.reason


LINE = """SELECT CAST(order_items.order_id AS BIGINT) AS order_id, order_items.line_no AS line_no,
  o.customer_id AS customer_id, c.country_code AS country_code
FROM order_items JOIN orders AS o ON o.order_id = order_items.order_id
LEFT JOIN customers c ON c.customer_id = o.customer_id
WHERE order_items.quantity > 0"""


def test_proved_for_a_primary_key_with_many_to_one_joins(catalog: Catalog) -> None:
    proved, reason = proof(LINE, ["order_id", "line_no"], catalog)
    assert proved, reason
    assert "order_items" in reason and "2 many-to-one" in reason


def test_proved_for_group_by_the_key(catalog: Catalog) -> None:
    sql = """SELECT orders.customer_id AS customer_id, count(*) AS n
             FROM orders JOIN order_items ON order_items.order_id = orders.order_id
             GROUP BY orders.customer_id"""
    assert proof(sql, ["customer_id"], catalog) == (True, "GROUP BY the key")
    by_position = sql.replace("GROUP BY orders.customer_id", "GROUP BY 1")
    assert proof(by_position, ["customer_id"], catalog)[0]


@pytest.mark.parametrize(
    ("sql", "key", "why"),
    [
        # a join on a non-key column: one order meets every region of its country
        (
            "SELECT c.customer_id AS customer_id FROM customers c"
            " JOIN regions r ON r.country_code = c.country_code",
            ["customer_id"],
            "regions has no primary key",
        ),
        (
            "SELECT o.order_id AS order_id FROM orders o"
            " JOIN order_items i ON i.order_id = o.order_id",
            ["order_id"],
            "line_no unmatched",
        ),
        (
            "SELECT order_items.order_id AS order_id FROM order_items",
            ["order_id"],
            "line_no missing",
        ),
        ("SELECT order_id, line_no FROM lines_no_pk", ["order_id", "line_no"], "no primary key"),
        ("SELECT order_id FROM orders_v", ["order_id"], "is a view"),
        (
            "WITH o AS (SELECT * FROM orders) SELECT o.order_id AS order_id FROM o",
            ["order_id"],
            "CTE",
        ),
        (
            "SELECT order_id FROM orders UNION ALL SELECT order_id FROM orders",
            ["order_id"],
            "set operation",
        ),
        ("SELECT order_id + 1 AS order_id FROM orders", ["order_id"], "not a column"),
        ("SELECT CAST(order_id AS DOUBLE) AS order_id FROM orders", ["order_id"], "not a column"),
        (
            "SELECT o.order_id AS order_id FROM orders o RIGHT JOIN customers c"
            " ON c.customer_id = o.customer_id",
            ["order_id"],
            "RIGHT JOIN",
        ),
        (
            "SELECT o.order_id AS order_id FROM orders o FULL JOIN customers c"
            " ON c.customer_id = o.customer_id",
            ["order_id"],
            "FULL JOIN",
        ),
        (
            "SELECT o.order_id AS order_id FROM orders o CROSS JOIN customers c",
            ["order_id"],
            "CROSS JOIN",
        ),
        (
            "SELECT o.order_id AS order_id FROM orders o JOIN customers c"
            " ON c.customer_id > o.customer_id",
            ["order_id"],
            "customer_id unmatched",
        ),
        (
            "SELECT o.order_id AS order_id FROM orders o JOIN customers c"
            " ON c.customer_id = o.customer_id OR true",
            ["order_id"],
            "customer_id unmatched",
        ),
        (
            "SELECT o.order_id AS order_id, unnest([1, 2]) AS x FROM orders o",
            ["order_id"],
            "several rows",
        ),
        ("SELECT DISTINCT ON (customer_id) order_id FROM orders", ["order_id"], "DISTINCT ON"),
        (
            "SELECT o.customer_id AS customer_id FROM orders o"
            " GROUP BY o.customer_id, o.order_date",
            ["customer_id"],
            "not exactly the key",
        ),
        ("SELECT o.order_date AS d FROM orders o GROUP BY o.order_date", ["d"], "NOT NULL column"),
    ],
)
def test_not_proved(catalog: Catalog, sql: str, key: list[str], why: str) -> None:
    proved, reason = proof(sql, key, catalog)
    assert not proved
    assert why in reason


def test_not_proved_where_keys_are_not_enforced_or_a_source_is_a_target(catalog: Catalog) -> None:
    sql = "SELECT orders.order_id AS order_id FROM orders"
    assert proof(sql, ["order_id"], catalog)[0]
    spark = Catalog.of(list(catalog.tables.values()), dialect="spark")
    assert proof(sql, ["order_id"], spark, enforces=False) == (
        False,
        "spark does not enforce primary keys",
    )
    assert not proof(sql, ["order_id"], catalog, targets=frozenset({"orders"}))[0]


def test_a_cast_that_is_not_injective_is_no_proof() -> None:
    table = Table(
        name="t",
        columns=[Column(name="k", type="DECIMAL(10,2)", nullable=False)],
        primary_key=["k"],
    )
    catalog = Catalog.of([table])
    assert not proof("SELECT CAST(k AS INT) AS k FROM t", ["k"], catalog)[0]
    assert proof("SELECT CAST(k AS DECIMAL(10,2)) AS k FROM t", ["k"], catalog)[0]


@pytest.mark.parametrize(
    ("stored", "proved"),
    [
        ({"order_id": "BIGINT", "line_no": "INTEGER"}, True),
        ({"order_id": "BIGINT", "line_no": "INT"}, True),  # spelled otherwise, same type
        ({"order_id": "INTEGER", "line_no": "INTEGER"}, False),  # the SELECT casts to BIGINT
        ({"order_id": "BIGINT", "line_no": "DOUBLE"}, False),  # line_no is stored as a double
        ({"order_id": "BIGINT"}, False),  # a key column the table lacks
    ],
)
def test_a_key_stored_in_another_type_than_the_select_gives_is_no_proof(
    catalog: Catalog, stored: dict[str, str], proved: bool
) -> None:
    """An increment's stage is typed like its table: the INSERT casts, and a cast may merge."""
    table = Table(name="fct", columns=[Column(name=n, type=t) for n, t in stored.items()])
    found = prove_key(LINE, ["order_id", "line_no"], catalog, enforces_keys=True, stored_in=table)
    assert found.proved is proved, found.reason
    if not proved:
        assert "is not stored in the type the SELECT gives it" in found.reason


FAN_OUT = """
targets:
  - name: dim_customer
    columns:
      - {name: customer_id, type: BIGINT, key: true,
         source_table: customers, source_column: customer_id}
      - {name: region, type: TEXT, source_table: regions, source_column: region}
    joins: ["JOIN regions ON regions.country_code = customers.country_code"]
  - name: fct_line
    columns:
      - {name: order_id, type: BIGINT, key: true,
         source_table: order_items, source_column: order_id}
      - {name: line_no, type: INTEGER, key: true, source_table: order_items, source_column: line_no}
      - {name: customer_id, type: BIGINT, source_table: orders, source_column: customer_id}
    joins: ["JOIN orders ON orders.order_id = order_items.order_id"]
"""


def test_a_run_proves_what_it_can_and_scans_and_catches_the_fan_out(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "mappings").mkdir(parents=True)
    (root / "mapforge.yml").write_text(
        "mappings:\n  - mappings/*.yaml\nengine:\n  type: duckdb\n  path: w.duckdb\n"
    )
    (root / "mappings" / "m.yaml").write_text(textwrap.dedent(FAN_OUT))
    with duckdb.connect(str(root / "w.duckdb")) as con:
        con.execute(RETAIL)
    with open_project(root) as project:
        assert api.plan(project).ok  # planned on empty tables: the sample run sees no fan-out
    with duckdb.connect(str(root / "w.duckdb")) as con:
        con.execute("""
            insert into customers values (1, 'US'), (2, 'DE');
            insert into orders values (10, 1, null), (11, 2, null);
            insert into order_items values (10, 1, 1), (10, 2, 1), (11, 1, 1);
            -- two regions for US: customer 1 fans out to two rows
            insert into regions values ('US', 'east'), ('US', 'west'), ('DE', 'eu');
        """)
    with open_project(root) as project:
        result = api.run(project, as_of=datetime(2024, 1, 1))
    by_name = {r.name: r for r in result.results}
    line_tests = {t["name"]: t for t in by_name["fct_line"].tests}
    assert by_name["fct_line"].ok
    assert all(
        t["message"].startswith("proved by construction: primary key of order_items")
        for t in line_tests.values()
    ), line_tests
    customer = by_name["dim_customer"]
    assert not customer.ok
    unique = next(t for t in customer.tests if t["name"].startswith("unique"))
    assert unique["status"] == "fail" and unique["failures"] == 1
    assert not unique["message"].startswith("proved")
