"""PostgresEngine against the session's throwaway cluster (conftest `# -- postgres`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pg_cluster import PASSWORD

from mapforge.catalog.model import Column, Table
from mapforge.config import load_config
from mapforge.engines import Engine, connect, open_engine
from mapforge.engines.postgres import PostgresEngine, redact
from mapforge.errors import ConfigError, EngineError
from mapforge.generate.retarget import TranspileError, transpile

SOURCES = """
create table a (id int primary key, amount numeric(10,2) not null, code varchar(3));
create table b (id int, k int, a_id int, a_id2 int, primary key (id, k));
create table c (x int, y int, primary key (x, y));
alter table b add foreign key (a_id) references a (id);
alter table b add foreign key (a_id, a_id2) references c (x, y);
comment on table a is 'the a table';
comment on column a.amount is 'money';
insert into a values (1, 2.50, 'x'), (2, 3.00, null);
"""


def test_is_an_engine(pg_engine: PostgresEngine) -> None:
    assert isinstance(pg_engine, Engine) and pg_engine.dialect == "postgres"


def test_catalog_reads_types_keys_comments_and_counts(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    pg_engine.build_view("v_a", "select id from a")
    catalog = pg_engine.catalog()
    a, b = catalog.table("a"), catalog.table("b")
    assert a is not None and b is not None and catalog.dialect == "postgres"
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("id", "integer", False),
        ("amount", "numeric(10,2)", False),
        ("code", "character varying(3)", True),
    ]
    assert (
        a.primary_key == ["id"]
        and a.comment == "the a table"
        and a.column("amount").comment == "money"
    )  # type: ignore[union-attr]
    assert a.row_count == 2 and b.primary_key == ["id", "k"]
    assert sorted((fk.columns, fk.ref_table, fk.ref_columns) for fk in b.foreign_keys) == [
        (["a_id"], "a", ["id"]),
        (["a_id", "a_id2"], "c", ["x", "y"]),
    ]
    view = catalog.table("v_a")
    assert view is not None and view.kind == "view" and view.row_count is None
    uncounted = pg_engine.catalog(counts=False)
    assert [t.row_count for t in uncounted.tables.values()] == [None] * len(catalog.tables)
    assert uncounted.table("b").primary_key == ["id", "k"]  # type: ignore[union-attr]


def test_catalog_is_confined_to_the_schema(pg_engine: PostgresEngine, pg_cluster: Any) -> None:
    with PostgresEngine(pg_cluster.url, schema=pg_engine.schema + "_other") as other:
        other.execute("create table elsewhere (id int)")
        assert pg_engine.catalog().table("elsewhere") is None
        other.execute(f'drop schema "{other.schema}" cascade')


def test_explain_reports_the_binder_message(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    pg_engine.explain("select id from a;")
    with pytest.raises(EngineError, match='column "nope" does not exist'):
        pg_engine.explain("select nope from a")


def test_explain_stubs_bind_and_vanish(pg_engine: PostgresEngine) -> None:
    stub = Table(
        name="upstream",
        columns=[Column(name="amt", type="DECIMAL(12,2)"), Column(name="n", type="")],
    )
    pg_engine.explain("select amt + 1, n from upstream", [stub])
    assert not pg_engine.table_exists("upstream")
    with pytest.raises(EngineError):
        pg_engine.explain("select amt from upstream")


def test_sandbox_shadows_and_rolls_back(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    with pg_engine.sandbox({"a": "select * from a where id = 2"}):
        assert pg_engine.query("select count(*) from a").rows == [(1,)]
        pg_engine.execute("create table scratch (x int)")
    assert pg_engine.query("select count(*) from a").rows == [(2,)]
    assert not pg_engine.table_exists("scratch")


def test_build_table_swaps_and_keeps_dependent_views(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    assert pg_engine.build_table("t", "select * from a;") == 2
    pg_engine.build_view("v", "select id from t")
    pg_engine.build_view("vv", "select * from v")
    assert pg_engine.build_table("t", "select id, amount from a where id = 1") == 1
    assert pg_engine.query("select * from vv").rows == [(1,)]
    assert not any(name.startswith("__mapforge") for name in pg_engine.catalog().tables)


def test_failed_build_leaves_the_old_table(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    pg_engine.build_table("t", "select id from a")
    pg_engine.build_view("v", "select id from t")
    with pytest.raises(EngineError, match="id"):
        pg_engine.build_table("t", "select 1 as other")  # v can no longer bind: rolled back
    assert pg_engine.row_count("t") == 2 and pg_engine.table_exists("v")
    with pytest.raises(EngineError):
        pg_engine.build_table("t", "select * from missing")
    assert pg_engine.row_count("t") == 2 and not pg_engine.table_exists("__mapforge_tmp_t")


def test_build_view_replaces_a_table_and_changes_columns(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(SOURCES)
    pg_engine.build_table("r", "select id from a")
    pg_engine.build_view("r", "select id, code from a")
    pg_engine.build_view("r", "select code from a")  # CREATE OR REPLACE would refuse this
    assert pg_engine.query("select * from r").columns == ["code"]


def test_checksum_is_order_independent_and_sees_duplicates(pg_engine: PostgresEngine) -> None:
    pg_engine.execute(
        "create table x (n int); insert into x values (1), (2);"
        "create table y (n int); insert into y values (2), (1);"
        "create table z (n int); insert into z values (1), (2), (2), (2);"
    )
    assert pg_engine.checksum("x") == pg_engine.checksum("y") != pg_engine.checksum("z")


def test_transaction_rolls_back_on_error(pg_engine: PostgresEngine) -> None:
    pg_engine.execute("create table x (n int)")
    with pytest.raises(EngineError), pg_engine.transaction():
        pg_engine.execute("insert into x values (1)")
        pg_engine.execute("insert into x values ('not a number')")
    assert pg_engine.row_count("x") == 0


def test_worker_is_a_separate_connection(pg_engine: PostgresEngine) -> None:
    worker = pg_engine.worker()
    try:
        worker.execute("create table made_by_worker (n int)")
        assert pg_engine.table_exists("made_by_worker")
    finally:
        worker.close()
    assert pg_engine.query("select 1").rows == [(1,)]


def test_password_comes_from_the_environment(
    pg_cluster: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with pytest.raises(EngineError, match="password"):
        PostgresEngine(pg_cluster.password_url(), schema="public")
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with PostgresEngine(pg_cluster.password_url(), schema="public") as engine:
        assert engine.query("select current_user").rows == [("mapforge_pw",)]


def test_errors_never_show_a_password(pg_cluster: Any) -> None:
    url = pg_cluster.password_url().replace("mapforge_pw@", "mapforge_pw:hunter2-wrong@")
    with pytest.raises(EngineError) as caught:
        PostgresEngine(url)
    assert "hunter2-wrong" not in str(caught.value) and "mapforge_pw:***@" in str(caught.value)
    assert redact("host=x password=s3cret user=u") == "host=x password=*** user=u"


def test_config_declares_targets_and_opens_them(tmp_path: Path, pg_cluster: Any) -> None:
    (tmp_path / "mapforge.yml").write_text(
        "engine: pg\ntargets:\n  dev: {type: duckdb, path: dev.duckdb}\n"
        "  pg: {type: postgres, url: '${PG_URL}', schema: cfg_test}\n"
    )
    cfg = load_config(tmp_path, env={"PG_URL": pg_cluster.url})
    assert cfg.default_target == "pg" and cfg.is_default("pg") and not cfg.is_default("dev")
    with open_engine(cfg.engine, tmp_path) as engine:  # type: ignore[attr-defined]
        assert engine.name == "postgres" and engine.schema == "cfg_test"
    with open_engine(cfg.engine_for("dev"), tmp_path) as engine:  # type: ignore[attr-defined]
        assert engine.name == "duckdb" and (tmp_path / "dev.duckdb").exists()
    with pytest.raises(ConfigError, match="unknown target 'prod'"):
        cfg.engine_for("prod")


def test_postgres_without_url_and_unknown_types_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "mapforge.yml").write_text("engine: {type: postgres}\n")
    with pytest.raises(ConfigError, match="needs `url`"):
        open_engine(load_config(tmp_path, env={}).engine, tmp_path)
    with pytest.raises(ConfigError, match="supported: duckdb, postgres"):
        connect("oracle")


def test_schema_can_come_from_the_environment(tmp_path: Path) -> None:
    cfg = load_config(
        tmp_path,
        env={"MAPFORGE_ENGINE_SCHEMA": "raw", "MAPFORGE_ENGINE_URL": "postgresql://u@h/db"},
    )
    assert cfg.engine.db_schema == "raw" and cfg.engine.url == "postgresql://u@h/db"


def test_transpile_raises_on_what_the_target_cannot_express() -> None:
    assert "ARRAY_AGG(x)" in transpile("select list(x) from t", "duckdb", "postgres")
    with pytest.raises(TranspileError, match="PIVOT"):
        transpile("select * from t pivot (sum(a) for b in (1, 2))", "duckdb", "postgres")
    assert transpile("select 1", "postgres", "postgres") == "select 1"
