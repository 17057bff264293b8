"""Shared fixtures. Keep one section per area; fixtures used by a single file stay there."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from mapforge.testing import FakeLLMServer

# -- llm -------------------------------------------------------------------------------


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A scripted OpenAI/Anthropic-compatible server on 127.0.0.1, closed after the test."""
    with FakeLLMServer() as server:
        yield server


# -- spark -----------------------------------------------------------------------------
# One local SparkSession for the whole run: starting the JVM takes seconds. `make test`
# installs the spark extra and .ci/run a JRE, so a missing Spark is a failure, never a skip.


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local[2] SparkSession with a throwaway warehouse, stopped when the session ends."""
    _require_spark()
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("mapforge-tests")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _require_spark() -> None:
    missing = None
    if importlib.util.find_spec("pyspark") is None:
        missing = 'pyspark is not installed (pip install -e ".[spark]")'
    elif shutil.which("java") is None:
        missing = "java is not on PATH (pyspark 4 needs Java 17+)"
    if missing:
        pytest.fail(f"the Spark tests need Spark: {missing}")


# -- postgres --------------------------------------------------------------------------
# One throwaway cluster for the whole run (tests/pg_cluster.py): initdb + start take about
# a second. Tests that use it FAIL, never skip, when it cannot start: CI installs PostgreSQL.
# Each test gets its own schema (`pg_url` + `pg_schema`), so tests never see each other.


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """The session's PostgreSQL cluster; `.url` connects as a trusted superuser."""
    from pg_cluster import ClusterError, PgCluster, create_password_role

    try:
        cluster = PgCluster().start()
    except ClusterError as exc:
        pytest.fail(f"cannot start the test PostgreSQL cluster: {exc}")
    try:
        create_password_role(cluster.url)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def pg_schema(request: pytest.FixtureRequest) -> str:
    """A schema name unique to the test (the engine creates it on connect)."""
    import re

    return "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]


@pytest.fixture
def pg_engine(pg_cluster: Any, pg_schema: str) -> Iterator[Any]:
    """A PostgresEngine on a fresh schema of the session cluster, closed after the test."""
    from mapforge.engines.postgres import PostgresEngine

    engine = PostgresEngine(pg_cluster.url, schema=pg_schema)
    engine.execute(f'drop schema if exists "{pg_schema}" cascade; create schema "{pg_schema}"')
    try:
        yield engine
    finally:
        engine.close()
