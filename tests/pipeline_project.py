"""A small pipeline project on disk for the run tests (and the SIGKILL subprocess).

Targets, in run order with one thread:
    cust_hist (scd2), dim_customer (table), fct_orders (incremental, watermark),
    m_slow (table; its SELECT joins `big` with itself, seconds long), z_after (table),
    rpt_orders (view of fct_orders)
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb

TARGETS = ["cust_hist", "dim_customer", "fct_orders", "m_slow", "z_after", "rpt_orders"]
TABLES = [t for t in TARGETS if t != "rpt_orders"]

MAPPING = """
targets:
  - name: dim_customer
    columns:
      - {name: id, type: INTEGER, key: true, source_table: customers, source_column: id}
      - {name: name, type: TEXT, source_table: customers, source_column: name}
  - name: cust_hist
    load: scd2
    config: {hard_deletes: close, track: [name]}
    tags: [history]
    columns:
      - {name: id, type: INTEGER, key: true, source_table: customers, source_column: id}
      - {name: name, type: TEXT, source_table: customers, source_column: name}
      - {name: updated_at, type: INTEGER, source_table: customers, source_column: updated_at}
  - name: fct_orders
    load: incremental
    config: {watermark: updated_at}
    tags: [facts]
    columns:
      - {name: order_id, type: INTEGER, key: true, source_table: orders, source_column: order_id}
      - {name: customer_id, type: INTEGER, source_table: orders, source_column: customer_id}
      - {name: amount, type: INTEGER, source_table: orders, source_column: amount}
      - {name: updated_at, type: INTEGER, source_table: orders, source_column: updated_at}
  - name: m_slow
    columns:
      - {name: customers, type: BIGINT, source_table: big, source_column: g}
      - {name: pairs, type: BIGINT, source_table: big, source_column: g}
  - name: z_after
    tags: [facts]
    columns:
      - {name: id, type: INTEGER, key: true, source_table: customers, source_column: id}
  - name: rpt_orders
    load: view
    tags: [facts]
    columns:
      - {name: order_id, type: INTEGER, key: true, source_table: fct_orders, source_column: order_id}
      - {name: amount, type: INTEGER, source_table: fct_orders, source_column: amount}
"""

# Slow on the full `big` (rows^2/4 pairs: 40k rows take seconds), instant on plan's samples.
SLOW_SQL = """
SELECT max(a.g) AS customers, count(b.g) AS pairs
FROM big AS a JOIN big AS b ON a.g % 4 = b.g % 4
"""


def make_project(root: Path, big_rows: int = 2_000) -> Path:
    """Write mapforge.yml, the mapping, the slow override and the source database."""
    (root / "mappings").mkdir(parents=True)
    (root / "overrides").mkdir()
    (root / "mapforge.yml").write_text(
        "mappings:\n  - mappings/*.yaml\nengine:\n  type: duckdb\n  path: warehouse.duckdb\n"
    )
    (root / "mappings" / "pipeline.yaml").write_text(textwrap.dedent(MAPPING))
    (root / "overrides" / "m_slow.sql").write_text(SLOW_SQL)
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute(
            "create table customers as select range::int as id, 'c' || range as name, 1 as updated_at from range(50)"
        )
        con.execute(
            "create table orders as select range::int as order_id, (range % 50)::int as customer_id, range::int as amount, 1 as updated_at from range(200)"
        )
        con.execute(f"create table big as select range::bigint as g from range({big_rows})")
    return root


def change_sources(root: Path) -> None:
    """A day later: a renamed, a deleted and a new customer; changed and new orders."""
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute("update customers set name = 'renamed', updated_at = 2 where id = 1")
        con.execute("delete from customers where id = 2")
        con.execute("insert into customers values (100, 'new', 2)")
        con.execute("update orders set amount = -1, updated_at = 2 where order_id < 5")
        con.execute("insert into orders select range::int, 7, 1, 2 from range(1000, 1010)")
        con.execute("insert into big select -range from range(1, 5)")
