"""Keyed materializations on the session's real PostgreSQL (conftest `# -- postgres`).

The same behaviours tests/test_pipeline_materialize.py and test_pipeline_narrow.py check on
DuckDB: incremental (merge, delete+insert, with and without a watermark), scd2, key checks,
atomicity of a failed apply, and the narrowed increment. Which statements ran is read from
the server's own log (`log_statement = all` for the engine's session), not from the client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from mapforge.engines.postgres import PostgresEngine
from mapforge.errors import EngineError, PipelineError
from mapforge.pipeline.materialize import Build, Options, materialize

T1 = datetime(2024, 1, 1)
T2 = datetime(2024, 2, 1)
T3 = datetime(2024, 3, 1)
SELECT = "select id, name, amount, updated_at from src"
SOURCE = """
create table src (id int, name text, amount numeric(10,2), updated_at timestamp);
insert into src values
  (1, 'a', 1.50, timestamp '2024-01-01 10:00'),
  (2, 'b', 2.00, timestamp '2024-01-01 10:00'),
  (3, 'c', null, timestamp '2024-01-02 10:00');
"""
D1 = datetime(2024, 1, 1, 10)
D2 = datetime(2024, 1, 2, 10)
D3 = datetime(2024, 1, 3, 10)


@pytest.fixture
def engine(pg_engine: PostgresEngine) -> PostgresEngine:
    pg_engine.execute(SOURCE)
    return pg_engine


@dataclass
class ServerLog:
    """The statements one backend sent, as the server logged them (log_statement = all)."""

    cluster: Any
    pid: int
    start: int

    def statements(self) -> list[str]:
        text = self.cluster.log()[self.start :]
        entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", text)
        head = re.compile(rf"^\S+ \S+ \S+ \[{self.pid}\] LOG:  (?:statement|execute [^:]*): ")
        return [head.sub("", e).strip() for e in entries if head.match(e)]


@pytest.fixture
def server_log(pg_cluster: Any, engine: PostgresEngine) -> ServerLog:
    pid = int(engine.query("select pg_backend_pid()").rows[0][0])
    engine.execute("set log_statement = 'all'")
    return ServerLog(pg_cluster, pid, len(pg_cluster.log()))


def build(load: str, as_of: datetime = T1, sql: str = SELECT, **options: str) -> Build:
    return Build("tgt", sql, load, as_of=as_of, key=("id",), options=Options.from_config(options))


def rows(engine: PostgresEngine, order: str = "id") -> list[tuple[object, ...]]:
    return engine.query(f"select * from tgt order by {order}").rows


def leftovers(engine: PostgresEngine) -> list[tuple[object, ...]]:
    """This session's TEMP tables, and mapforge's staging tables in the schema."""
    return engine.query(
        "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where c.relkind in ('r', 'p', 'v', 'm')"
        "   and (c.relnamespace = pg_my_temp_schema()"
        "        or (n.nspname = current_schema() and c.relname like '\\_\\_mapforge%'))"
    ).rows


def test_row_count_and_checksum_read_a_temp_table_of_the_session(engine: PostgresEngine) -> None:
    # the materializations count their TEMP stage through the engine (engine.row_count)
    with engine.transaction():
        engine.execute("create temp table __mapforge_stage_x on commit drop as select * from src")
        assert engine.row_count("__mapforge_stage_x") == 3
        assert engine.checksum("__mapforge_stage_x") == engine.checksum("src")
    assert not leftovers(engine)


# -- incremental ------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["merge", "delete+insert"])
@pytest.mark.parametrize("watermark", ["updated_at", ""])
def test_incremental_applies_new_and_changed_rows(
    engine: PostgresEngine, server_log: ServerLog, strategy: str, watermark: str
) -> None:
    b = build("incremental", strategy=strategy, watermark=watermark)
    assert materialize(engine, b) == 3  # the first run builds the table
    engine.execute(
        "update src set name = 'C', amount = 3.25, updated_at = timestamp '2024-01-03 10:00' where id = 3;"
        "insert into src values (4, 'd', null, timestamp '2024-01-03 10:00');"
        "update src set name = 'stale' where id = 1"  # below the watermark
    )
    applied = materialize(engine, b)
    first = "a" if watermark else "stale"  # a watermark run does not see the change to id 1
    assert rows(engine) == [
        (1, first, Decimal("1.50"), D1),
        (2, "b", Decimal("2.00"), D1),
        (3, "C", Decimal("3.25"), D3),
        (4, "d", None, D3),
    ]
    assert applied == (2 if watermark else 3)
    applies = [s for s in server_log.statements() if re.match(r"(MERGE|DELETE|INSERT) ", s)]
    if strategy == "merge":
        assert [s.split()[0] for s in applies] == ["INSERT", "MERGE"]  # the stage, the merge
        assert applies[1].startswith('MERGE INTO "tgt" USING "__mapforge_stage_tgt"')
    else:
        assert [s.split()[0] for s in applies] == ["INSERT", "DELETE", "INSERT"]
        assert applies[2].startswith('INSERT INTO "tgt"')
    assert not leftovers(engine)


@pytest.mark.parametrize(
    ("load", "strategy"),
    [("incremental", "merge"), ("incremental", "delete+insert"), ("scd2", "")],
)
def test_applying_the_same_source_twice_changes_nothing(
    engine: PostgresEngine, load: str, strategy: str
) -> None:
    options = {"watermark": "updated_at", "strategy": strategy} if load == "incremental" else {}
    materialize(engine, build(load, **options))
    engine.execute(
        "update src set name = 'B', updated_at = timestamp '2024-01-05 10:00' where id = 2"
    )
    materialize(engine, build(load, as_of=T2, **options))
    before = engine.checksum("tgt")
    # id 3's null amount must compare equal to itself: nothing new to version or apply
    again = materialize(engine, build(load, as_of=T3, **options))  # even at a later as-of
    assert engine.checksum("tgt") == before
    # `>=` re-reads the row at the mark (and rewrites it unchanged); scd2 opens nothing
    assert again == (1 if load == "incremental" else 0)
    assert engine.row_count("tgt") == (3 if load == "incremental" else 4)


def test_without_a_watermark_an_unchanged_source_applies_nothing(engine: PostgresEngine) -> None:
    materialize(engine, build("incremental"))
    before = engine.checksum("tgt")
    assert materialize(engine, build("incremental")) == 0  # EXCEPT: null amounts are equal
    assert engine.checksum("tgt") == before


BAD_KEYS = {
    "null": (
        "insert into src values (null, 'x', 1, timestamp '2024-02-01')",
        r"tgt: key \(id\), e\.g\. \(id=None\) has a null in the increment",
    ),
    "duplicate": (
        "insert into src values (7, 'x', 1, timestamp '2024-02-01'), (7, 'y', 2, timestamp '2024-02-01')",
        r"tgt: key \(id\), e\.g\. \(id=7\) appears more than once in the increment",
    ),
}


@pytest.mark.parametrize("load", ["incremental/merge", "incremental/delete+insert", "scd2"])
@pytest.mark.parametrize("bad", sorted(BAD_KEYS))
def test_bad_keys_in_the_increment_leave_the_table_unchanged(
    engine: PostgresEngine, load: str, bad: str
) -> None:
    kind, _, strategy = load.partition("/")
    options = {"watermark": "updated_at", "strategy": strategy} if strategy else {}
    materialize(engine, build(kind, **options))
    before = engine.checksum("tgt")
    change, message = BAD_KEYS[bad]
    engine.execute(change)
    with pytest.raises(PipelineError, match=message):
        materialize(engine, build(kind, as_of=T2, **options))
    assert engine.checksum("tgt") == before
    assert not leftovers(engine)
    # the transaction was rolled back, not left open: once fixed, the next run applies
    engine.execute("delete from src where id is null or id = 7")
    engine.execute("update src set name = 'A', updated_at = timestamp '2024-02-02' where id = 1")
    # incremental: id 1, and id 3 at the mark; scd2: id 1's new version
    assert materialize(engine, build(kind, as_of=T2, **options)) == (2 if strategy else 1)
    current = " and is_current" if kind == "scd2" else ""
    assert engine.query(f"select name from tgt where id = 1{current}").rows == [("A",)]


def test_bad_keys_on_a_first_scd2_build_create_nothing(engine: PostgresEngine) -> None:
    engine.execute("insert into src values (1, 'dup', 1, timestamp '2024-02-01')")
    with pytest.raises(
        PipelineError, match=r"tgt: key \(id\), e\.g\. \(id=1\) appears more than once"
    ):
        materialize(engine, build("scd2"))
    assert not engine.table_exists("tgt")
    assert not leftovers(engine)


# Each breaks an apply at a different point: while the increment is computed (a run-time
# error in the SELECT), while it is stored in the stage typed like the table (a value the
# table's type cannot hold), and after DELETE has run (a CHECK on the table, not the stage).
FAILURES = {
    "run-time error in the select": (
        "select id, name, amount + 0 * (1 / (id - 9)) as amount, updated_at from src",
        "",
        "division by zero",
    ),
    "value the table's type cannot hold": (
        "select id, name, case when id = 9 then amount * 1e12 else amount end as amount,"
        " updated_at from src",
        "",
        "numeric field overflow",
    ),
    "constraint violated by the apply": (
        SELECT,
        "alter table tgt add constraint no_boom check (name <> 'boom')",
        "no_boom",
    ),
}


@pytest.mark.parametrize("strategy", ["merge", "delete+insert"])
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_apply_leaves_the_old_table_and_no_temp_tables(
    engine: PostgresEngine, strategy: str, failure: str
) -> None:
    sql, setup, message = FAILURES[failure]
    materialize(engine, build("incremental", strategy=strategy))
    if setup:
        engine.execute(setup)
    before = engine.checksum("tgt")
    engine.execute(
        "insert into src values (9, 'z', 9.00, timestamp '2024-02-01');"
        "update src set name = 'boom' where id = 2;"
        "update src set name = 'A' where id = 1"
    )
    with pytest.raises(EngineError, match=message):
        materialize(engine, build("incremental", sql=sql, strategy=strategy))
    assert engine.checksum("tgt") == before  # id 2's old row too, when DELETE had removed it
    assert not leftovers(engine)
    engine.execute("delete from src where id = 9; update src set name = 'b' where id = 2")
    assert materialize(engine, build("incremental", sql=sql, strategy=strategy)) == 1
    assert [r[1] for r in rows(engine)] == ["A", "b", "c"]


def test_changed_columns_ask_for_a_full_refresh(engine: PostgresEngine) -> None:
    materialize(engine, build("incremental"))
    before = engine.checksum("tgt")
    wider = build("incremental", sql="select id, name, amount, updated_at, 1 as extra from src")
    with pytest.raises(PipelineError, match="--full-refresh"):
        materialize(engine, wider)
    assert engine.checksum("tgt") == before


# -- the narrowed increment -------------------------------------------------------------------

JOINED = (
    "select i.id, o.region, i.qty, i.updated_at from items i join orders o on o.id = i.order_id"
)


@pytest.fixture
def shop(engine: PostgresEngine) -> PostgresEngine:
    engine.execute(
        "create table orders as select g as id, 'r' || (g % 3) as region from generate_series(0, 19) g;"
        "create table items as select g as id, g % 20 as order_id, g % 7 as qty, g as updated_at"
        " from generate_series(0, 99) g"
    )
    return engine


def test_a_narrowed_apply_reads_only_new_source_rows_and_matches_a_rebuild(
    shop: PostgresEngine, server_log: ServerLog
) -> None:
    b = build("incremental", sql=JOINED, watermark="updated_at")
    assert materialize(shop, b) == 100
    shop.execute(
        "update items set qty = qty + 10, updated_at = 200 + id where id % 9 = 1;"
        "insert into items select 100 + g, g % 20, 3, 300 + g from generate_series(0, 4) g;"
        "insert into orders values (20, 'new');"
        "insert into items values (110, 20, 1, 400)"
    )
    before = len(server_log.statements())
    # ids 1, 10, ..., 91 changed, 100-104 and 110 new, and 99 re-read at the mark
    assert materialize(shop, b) == 11 + 6 + 1
    ran = server_log.statements()[before:]
    assert not [s for s in ran if s.startswith('CREATE TEMPORARY TABLE "__mapforge_source')]
    [staged] = [s for s in ran if s.startswith('INSERT INTO "__mapforge_stage_tgt"')]
    assert re.search(
        r'WITH "__mapforge_source_tgt" AS MATERIALIZED \(SELECT .* FROM items AS i'
        r" WHERE i\.updated_at >= 99\)",
        staged,
    ), staged
    assert 'FROM "__mapforge_source_tgt" AS i JOIN orders' in staged
    assert not leftovers(shop)
    applied = shop.checksum("tgt")
    shop.execute(f"create table rebuilt as {JOINED}")
    assert applied == shop.checksum("rebuilt")
    assert shop.row_count("tgt") == 106


# -- scd2 -------------------------------------------------------------------------------------


def test_scd2_versions_changes_and_closes_deletes(engine: PostgresEngine) -> None:
    assert materialize(engine, build("scd2", hard_deletes="close")) == 3
    engine.execute(
        "update src set name = 'B' where id = 2;"
        "update src set amount = 3.00 where id = 3;"  # NULL to a value is a change
        "delete from src where id = 1;"
        "insert into src values (4, 'd', null, timestamp '2024-01-03 10:00')"
    )
    # 2 and 3 closed and reopened, 4 opened, 1 closed
    assert materialize(engine, build("scd2", as_of=T2, hard_deletes="close")) == 4
    assert rows(engine, "id, valid_from") == [
        (1, "a", Decimal("1.50"), D1, T1, T2, False),
        (2, "b", Decimal("2.00"), D1, T1, T2, False),
        (2, "B", Decimal("2.00"), D1, T2, None, True),
        (3, "c", None, D2, T1, T2, False),
        (3, "c", Decimal("3.00"), D2, T2, None, True),
        (4, "d", None, D3, T2, None, True),
    ]
    columns = engine.query("select * from tgt limit 0").columns
    assert columns[-3:] == ["valid_from", "valid_to", "is_current"]
    assert not leftovers(engine)


def test_scd2_ignores_deletes_by_default(engine: PostgresEngine) -> None:
    materialize(engine, build("scd2"))
    before = engine.checksum("tgt")
    engine.execute("delete from src where id = 3")
    assert materialize(engine, build("scd2", as_of=T2)) == 0
    assert engine.checksum("tgt") == before


def test_scd2_tracks_only_chosen_columns(engine: PostgresEngine) -> None:
    materialize(engine, build("scd2", track="name"))
    engine.execute("update src set amount = 99.00, updated_at = timestamp '2024-01-09'")
    assert materialize(engine, build("scd2", as_of=T2, track="name")) == 0
    assert engine.query("select count(*) from tgt where amount = 99.00").rows == [(0,)]
    engine.execute("update src set name = 'A' where id = 1")
    assert materialize(engine, build("scd2", as_of=T3, track="name")) == 1
    assert engine.query(
        "select id, name, amount, valid_from, is_current from tgt order by id, valid_from"
    ).rows == [
        (1, "a", Decimal("1.50"), T1, False),
        (1, "A", Decimal("99.00"), T3, True),
        (2, "b", Decimal("2.00"), T1, True),
        (3, "c", None, T1, True),
    ]


def test_scd2_valid_from_a_column(engine: PostgresEngine) -> None:
    b = build("scd2", valid_from="updated_at")
    materialize(engine, b)
    engine.execute(
        "update src set name = 'x', updated_at = timestamp '2024-01-07 10:00' where id = 1"
    )
    assert materialize(engine, build("scd2", as_of=T3, valid_from="updated_at")) == 1
    got = engine.query(
        "select name, valid_from, valid_to, is_current from tgt where id = 1 order by valid_from"
    ).rows
    assert got == [
        ("a", D1, datetime(2024, 1, 7, 10), False),
        ("x", datetime(2024, 1, 7, 10), None, True),
    ]
