"""Pipeline benchmark: what `mapforge run` costs over plain DuckDB, and what incremental saves.

    python bench/pipeline.py [--json] [--rows 10000000]

Sources are generated with DuckDB's range() (Python generation of the retail example at
scale 1250 takes minutes): order_items (--rows lines), orders (rows / 4), customers
(rows / 100), shaped like examples/retail. Targets, planned by `mapforge plan` (compiled):
    stg_orders    table        orders joined to customers
    fct_order_line incremental order_items joined to orders; key (order_id, line_no);
                               watermark updated_at
    agg_customer  table        a projection of fct_order_line (downstream of the incremental)

overhead           mapforge run wall time (full refresh, 1 thread, key tests included) /
                   the same SELECTs as CREATE OR REPLACE TABLE ... AS in DuckDB, minus 1
overhead_no_tests  the same, counting only the execute phase of each target
incremental_ratio  `mapforge run --select fct_order_line` after 1% of its rows changed /
                   the same with --full-refresh (wall time, key tests included)
incremental_ratio_execute  the same ratio on the execute phase only
"""

from __future__ import annotations

import argparse
import json
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

import duckdb

from mapforge import api
from mapforge import lock as lockfile
from mapforge.project import open_project

MAPPING = """
targets:
  - name: stg_orders
    columns:
      - {name: order_id, type: BIGINT, key: true, source_table: orders, source_column: order_id}
      - {name: customer_id, type: BIGINT, source_table: orders, source_column: customer_id}
      - {name: country_code, type: TEXT, source_table: customers, source_column: country_code}
      - {name: order_date, type: DATE, source_table: orders, source_column: order_date}
    joins: ["JOIN customers ON customers.customer_id = orders.customer_id"]
  - name: fct_order_line
    load: incremental
    config: {watermark: updated_at}
    joins: ["JOIN orders ON orders.order_id = order_items.order_id"]
    columns:
      - {name: order_id, type: BIGINT, key: true, source_table: order_items, source_column: order_id}
      - {name: line_no, type: INTEGER, key: true, source_table: order_items, source_column: line_no}
      - {name: customer_id, type: BIGINT, source_table: orders, source_column: customer_id}
      - {name: order_date, type: DATE, source_table: orders, source_column: order_date}
      - {name: quantity, type: INTEGER, source_table: order_items, source_column: quantity}
      - {name: net_amount, type: "DECIMAL(12,2)", source_table: order_items, rule: "sql: order_items.quantity * order_items.unit_price"}
      - {name: updated_at, type: TIMESTAMP, source_table: order_items, source_column: updated_at}
  - name: agg_customer
    depends_on: [fct_order_line]
    columns:
      - {name: customer_id, type: BIGINT, source_table: fct_order_line, source_column: customer_id}
      - {name: quantity, type: INTEGER, source_table: fct_order_line, source_column: quantity}
"""


def build_sources(db: Path, rows: int) -> None:
    """order_items, orders, customers with range(); deterministic (hash-based) values."""
    orders, customers = rows // 4, max(rows // 100, 1)
    with duckdb.connect(str(db)) as con:
        con.execute(f"""create table customers as select range::bigint as customer_id,
            ['US','DE','FR','JP','BR'][(1 + hash(range) % 5)::bigint] as country_code from range({customers})""")
        con.execute(f"""create table orders as select range::bigint as order_id, (hash(range) % {customers})::bigint as customer_id,
            date '2020-01-01' + (range % 1500)::int as order_date from range({orders})""")
        con.execute(f"""create table order_items as select (range // 4)::bigint as order_id, (range % 4)::int as line_no,
            (1 + hash(range) % 5)::int as quantity, (1 + hash(range * 7) % 10000) / 100.0 as unit_price,
            timestamp '2023-01-01' + to_seconds(range % 1000000) as updated_at from range({rows})""")


def make_project(root: Path, rows: int) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "mapforge.yml").write_text(
        "mappings:\n  - mappings/*.yaml\nengine:\n  type: duckdb\n  path: bench.duckdb\n"
    )
    (root / "mappings" / "bench.yaml").write_text(textwrap.dedent(MAPPING))
    build_sources(root / "bench.duckdb", rows)
    with open_project(root) as project:
        assert api.plan(project).ok, "bench mapping did not plan"


def timed_run(root: Path, **options: object) -> tuple[float, float]:
    """(wall seconds, seconds in execute phases) of one `mapforge run`."""
    started = time.perf_counter()
    with open_project(root) as project:
        result = api.run(project, as_of=datetime(2024, 6, 1), **options)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    assert result.ok, [(r.name, r.message) for r in result.results]
    execute = sum(_phase(r.timing, "execute") for r in result.results)
    return wall, execute


def _phase(timing: list, name: str) -> float:  # type: ignore[type-arg]
    for t in timing:
        if t.name == name:
            return (
                datetime.fromisoformat(t.completed_at) - datetime.fromisoformat(t.started_at)
            ).total_seconds()
    return 0.0


def direct(root: Path) -> float:
    """The locked SELECTs as CREATE OR REPLACE TABLE ... AS, in dependency order, in DuckDB."""
    lock = lockfile.read(root)
    started = time.perf_counter()
    with duckdb.connect(str(root / "bench.duckdb")) as con:
        for name in ("stg_orders", "fct_order_line", "agg_customer"):
            con.execute(f'create or replace table "{name}" as {lock.targets[name].sql}')
    return time.perf_counter() - started


def change_one_percent(root: Path, rows: int) -> None:
    with duckdb.connect(str(root / "bench.duckdb")) as con:
        con.execute(
            "update order_items set quantity = quantity + 1, updated_at = timestamp '2024-02-01' where hash(order_id * 31 + line_no) % 100 = 0"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clock = time.perf_counter()
        make_project(root, args.rows)
        setup = time.perf_counter() - clock
        timed_run(root)  # first build, warms the file
        plain = min(direct(root) for _ in range(2))
        runs = [timed_run(root, full_refresh=True) for _ in range(2)]
        wall, execute = min(r[0] for r in runs), min(r[1] for r in runs)
        full = timed_run(root, select=["fct_order_line"], full_refresh=True)
        change_one_percent(root, args.rows)
        incr = timed_run(root, select=["fct_order_line"])
    figures = {
        "source_rows": args.rows + args.rows // 4 + args.rows // 100,
        "setup_seconds": round(setup, 2),
        "direct_seconds": round(plain, 3),
        "run_seconds": round(wall, 3),
        "overhead": round(wall / plain - 1, 3),
        "overhead_no_tests": round(execute / plain - 1, 3),
        "full_refresh_seconds": round(full[0], 3),
        "incremental_seconds": round(incr[0], 3),
        "incremental_ratio": round(incr[0] / full[0], 3),
        "incremental_ratio_execute": round(incr[1] / full[1], 3),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
