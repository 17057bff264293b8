"""Pipeline benchmark: what `mapforge run` costs over plain DuckDB, and what incremental saves.

    python bench/pipeline.py [--json] [--rows 10000000]

Sources are generated with DuckDB's range() (Python generation of the retail example at
scale 1250 takes minutes): order_items (--rows lines), orders (rows / 4), customers
(rows / 100), shaped like examples/retail, written in time order (updated_at grows with the
row over 2020-2022, as an OLTP export lands). Targets, planned by `mapforge plan` (compiled):
    stg_orders    table        orders joined to customers
    fct_order_line incremental order_items joined to orders; key (order_id, line_no);
                               watermark updated_at
    agg_customer  table        a projection of fct_order_line (downstream of the incremental)

overhead           mapforge run wall time (full refresh, 1 thread, key tests included) /
                   the same SELECTs as CREATE OR REPLACE TABLE ... AS in DuckDB, minus 1
overhead_no_tests  the same, counting only the execute phase of each target
incremental_ratio  `mapforge run --select fct_order_line` after 1% of its rows changed /
                   the same with --full-refresh (wall time, key tests included). The 1% is
                   changed the way a source system changes order lines: half are updates to
                   the lines of the newest orders, half are new lines of new orders.
incremental_ratio_repeated  the mean of 2 x --repeat such runs, each over the table the last
                   one left (as nightly runs follow each other), over the same full refresh:
                   the long-run cost, DuckDB's vacuum of the deleted rows included (a
                   checkpoint merges row groups that deletes have thinned, every few runs)
incremental_ratio_scattered  the same with 1% of the lines updated uniformly over all of
                   history: the worst case for any engine without an index on the target,
                   since the DELETE must then probe every row group of it
unchanged_incremental_seconds  the same run when nothing changed: what every incremental run
                   pays whatever the increment (open, catalog, key fingerprint, checkpoint)
incremental_ratio_execute  the first ratio on the execute phase only
                   (the incremental runs prove the key by construction, pipeline/proof.py, and
                   the bench checks they did: after a full refresh, each may)
profile            seconds per kind of statement (build, key tests, stage, apply, ...) in the
                   fastest full refresh and incremental runs, from the engine's DEBUG log

Every timing is the best of --repeat runs: the figures are ratios of wall times on a shared
machine, and the minimum is the least disturbed. Each incremental run is checked against a
full rebuild of the same SELECT (same rows, by checksum), so a fast but wrong one fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import duckdb

from mapforge import api
from mapforge import lock as lockfile
from mapforge.engines.duckdb import DuckDBEngine
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
    """order_items, orders, customers with range(), with primary keys; deterministic values."""
    orders, customers = rows // 4, max(rows // 100, 1)
    with duckdb.connect(str(db)) as con:
        con.execute(f"""create table customers as select range::bigint as customer_id,
            ['US','DE','FR','JP','BR'][(1 + hash(range) % 5)::bigint] as country_code from range({customers})""")
        con.execute(f"""create table orders as select range::bigint as order_id, (hash(range) % {customers})::bigint as customer_id,
            date '2020-01-01' + (range % 1500)::int as order_date from range({orders})""")
        con.execute(f"""create table order_items as select (range // 4)::bigint as order_id, (range % 4)::int as line_no,
            (1 + hash(range) % 5)::int as quantity, (1 + hash(range * 7) % 10000) / 100.0 as unit_price,
            timestamp '2020-01-01' + to_seconds(range * 94608000 // {rows}) as updated_at from range({rows})""")
        # real sources declare their keys; a run proves target keys from them (key_proof.py)
        con.execute("alter table customers add primary key (customer_id)")
        con.execute("alter table orders add primary key (order_id)")
        con.execute("alter table order_items add primary key (order_id, line_no)")


def make_project(root: Path, rows: int) -> None:
    (root / "mappings").mkdir(parents=True)
    (root / "mapforge.yml").write_text(
        "mappings:\n  - mappings/*.yaml\nengine:\n  type: duckdb\n  path: bench.duckdb\n"
    )
    (root / "mappings" / "bench.yaml").write_text(textwrap.dedent(MAPPING))
    build_sources(root / "bench.duckdb", rows)
    with open_project(root) as project:
        assert api.plan(project).ok, "bench mapping did not plan"


class Statements(logging.Handler):
    """Collects the DuckDB engine's DEBUG records: (seconds, sql) per statement."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        seconds, sql = cast(tuple[float, str], record.args)
        self.seen.append((seconds, sql))


STATEMENTS = Statements()
_ENGINE_LOG = logging.getLogger("mapforge.engines.duckdb")
_ENGINE_LOG.addHandler(STATEMENTS)
_ENGINE_LOG.setLevel(logging.DEBUG)
_ENGINE_LOG.propagate = False

# statement kinds, by the first words mapforge gives each and a word they contain
# (order matters: first match wins)
_KINDS = [
    ("key tests", ("select count(*) filter",), ""),
    ("apply", ("select count(*), coalesce(bit_xor(hash(",), " where exists("),  # rows to delete
    ("stage key check", ("select count(*), coalesce(bit_xor(hash(",), "__mapforge_stage_"),
    ("key fingerprint", ("select count(*), coalesce(bit_xor(hash(",), ""),
    ("stage key check", ("select count(*), count(*) filter",), "__mapforge_stage_"),
    ("other tests", ("select count(*) from (",), ""),
    ("build", ('create table "main"."__mapforge_tmp_',), ""),
    ("stage", ('create temporary table "__mapforge_stage_', 'insert into "__mapforge_stage_'), ""),
    ("stage key check", ('select "',), ""),
    ("watermark", ("select max(",), ""),
    ("apply", ("delete from", "insert into", "merge into"), ""),
    ("commit", ("commit",), ""),
]


def profile(statements: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds per kind of statement; `other` is catalog reads, LIMIT 0 column reads, swaps."""
    kinds: dict[str, float] = {}
    for seconds, sql in statements:
        text = sql.lower()
        kind = next(
            (k for k, starts, has in _KINDS if text.startswith(starts) and has in text), "other"
        )
        kinds[kind] = kinds.get(kind, 0.0) + seconds
    return {k: round(v, 3) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])}


@dataclass
class Timed:
    wall: float
    execute: float  # seconds in the execute phases
    rows: int  # rows the run reports written (built or applied)
    statements: list[tuple[float, str]]
    proved: int = 0  # key checks proved by construction instead of run (pipeline/proof.py)


def timed_run(root: Path, **options: object) -> Timed:
    """One `mapforge run`, timed, with its statements."""
    STATEMENTS.seen = []
    started = time.perf_counter()
    with open_project(root) as project:
        result = api.run(project, as_of=datetime(2024, 6, 1), **options)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    assert result.ok, [(r.name, r.message) for r in result.results]
    execute = sum(_phase(r.timing, "execute") for r in result.results)
    rows = sum(r.rows or 0 for r in result.results)
    proved = sum(
        t["message"].startswith("proved by construction") for r in result.results for t in r.tests
    )
    # a copy: the rebuild check that follows an incremental run logs into STATEMENTS too
    return Timed(wall, execute, rows, list(STATEMENTS.seen), proved)


def fastest(runs: list[Timed]) -> Timed:
    return min(runs, key=lambda r: r.wall)


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


def change_recent(root: Path, round_: int, rows: int) -> int:
    """Change 1% of order_items as a source does: update the newest lines, add new orders.

    Each changed row gets its own updated_at (1 ms apart, on day `round_` of 2024-02), as
    rows written one by one do; the watermark then re-reads only the few at the mark.
    """
    half = rows // 200
    stamp = f"timestamp '2024-02-01' + interval {int(round_)} day"
    with duckdb.connect(str(root / "bench.duckdb")) as con:
        top = con.execute("select max(order_id) from order_items").fetchone()[0]
        updated = con.execute(
            f"""update order_items set quantity = quantity + 1,
                updated_at = {stamp} + to_milliseconds((order_id - {top}) * 4 + line_no + {half})
                where order_id > {top - half // 4}"""
        ).fetchone()
        con.execute(f"""insert into orders select {top + 1} + range, hash(range) % {rows // 100},
            date '2024-02-01' from range({half // 4})""")
        added = con.execute(f"""insert into order_items select {top + 1} + range // 4,
            (range % 4)::int, 1 + range % 5, 9.99, {stamp} + to_milliseconds({half} + range)
            from range({half // 4 * 4})""").fetchone()
    return int(updated[0] if updated else 0) + int(added[0] if added else 0)


def change_scattered(root: Path, round_: int, rows: int) -> int:
    """Update 1% of order_items spread evenly over all of history."""
    with duckdb.connect(str(root / "bench.duckdb")) as con:
        changed = con.execute(
            f"""update order_items set quantity = quantity + 1,
                updated_at = timestamp '2025-01-01' + interval {int(round_)} day
                where hash(order_id * 31 + line_no) % 100 = 0"""
        ).fetchone()
    return int(changed[0]) if changed else 0


def incremental_rounds(
    root: Path, repeat: int, rows: int, change: Callable[[Path, int, int], int]
) -> tuple[Timed, Timed, int]:
    """(fastest full refresh, fastest incremental run, rows changed) over `repeat` rounds."""
    fulls, incrs, changed = [], [], 0
    for round_ in range(repeat):
        fulls.append(timed_run(root, select=["fct_order_line"], full_refresh=True))
        changed = change(root, round_, rows)
        incrs.append(timed_run(root, select=["fct_order_line"]))
        assert incrs[-1].rows >= changed, (incrs[-1].rows, changed)
        assert incrs[-1].proved == 3, "the key of fct_order_line was not proved"
        assert_same_as_rebuild(root, "fct_order_line")
    return fastest(fulls), fastest(incrs), changed


def repeated_rounds(root: Path, runs: int, rows: int, first: int) -> list[Timed]:
    """`runs` incremental runs one after the other, each after a recent 1% change."""
    timed = []
    for round_ in range(first, first + runs):
        changed = change_recent(root, round_, rows)
        timed.append(timed_run(root, select=["fct_order_line"]))
        assert timed[-1].rows >= changed and timed[-1].proved == 3
        assert_same_as_rebuild(root, "fct_order_line")
    return timed


def assert_same_as_rebuild(root: Path, name: str) -> None:
    """The incrementally maintained table has exactly the rows a full rebuild would have."""
    lock = lockfile.read(root)
    with DuckDBEngine(root / "bench.duckdb") as engine:
        engine.execute(f'create temp table "rebuilt" as {lock.targets[name].sql}')
        applied, rebuilt = engine.checksum(name), engine.checksum("rebuilt")
    assert applied == rebuilt, f"{name}: the incremental run differs from a full rebuild"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for every timing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clock = time.perf_counter()
        make_project(root, args.rows)
        setup = time.perf_counter() - clock
        timed_run(root)  # first build, warms the file
        plain = min(direct(root) for _ in range(args.repeat))
        run = fastest([timed_run(root, full_refresh=True) for _ in range(args.repeat)])
        full, incr, changed = incremental_rounds(root, args.repeat, args.rows, change_recent)
        idle = fastest([timed_run(root, select=["fct_order_line"]) for _ in range(args.repeat)])
        repeated = repeated_rounds(root, 2 * args.repeat, args.rows, first=args.repeat)
        spread = incremental_rounds(root, args.repeat, args.rows, change_scattered)
    figures = {
        "source_rows": args.rows + args.rows // 4 + args.rows // 100,
        "changed_rows": changed,
        "setup_seconds": round(setup, 2),
        "direct_seconds": round(plain, 3),
        "run_seconds": round(run.wall, 3),
        "overhead": round(run.wall / plain - 1, 3),
        "overhead_no_tests": round(run.execute / plain - 1, 3),
        "full_refresh_seconds": round(full.wall, 3),
        "incremental_seconds": round(incr.wall, 3),
        "incremental_rows_applied": incr.rows,
        "incremental_ratio": round(incr.wall / full.wall, 3),
        "unchanged_incremental_seconds": round(idle.wall, 3),
        "incremental_ratio_repeated": round(
            sum(r.wall for r in repeated) / len(repeated) / full.wall, 3
        ),
        "incremental_ratio_scattered": round(spread[1].wall / spread[0].wall, 3),
        "incremental_ratio_execute": round(incr.execute / full.execute, 3),
        "profile_run": profile(run.statements),
        "profile_full_refresh": profile(full.statements),
        "profile_incremental": profile(incr.statements),
        "profile_incremental_scattered": profile(spread[1].statements),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
