"""Copy DuckDB source tables into Spark as parquet-backed tables (tests and bench/engines.py).

The retail example generates its sources in DuckDB; to run the same project on Spark each
table is written to a parquet file by DuckDB and registered as an external table of the
engine's database (`create table ... using parquet location ...`). The data never passes
through Python. Spark has no keys, so only the rows and column types carry over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mapforge.engines.duckdb import DuckDBEngine

# A Derby metastore in the project: the Spark catalog then outlives one SparkSession, so the
# engine `plan --target spark` opens sees the tables the loader's engine registered.
_METASTORE_URL = "spark.hadoop.javax.jdo.option.ConnectionURL"


def copy_tables(duckdb_path: Path, spark: Any, names: list[str], folder: Path) -> list[str]:
    """Register `names` of the DuckDB file in `spark` (a SparkEngine), data under `folder`."""
    with DuckDBEngine(duckdb_path, read_only=True) as duck:
        for name in names:
            location = folder / name
            location.mkdir(parents=True, exist_ok=True)
            duck.execute(f"copy \"{name}\" to '{location / 'part-0.parquet'}' (format parquet)")
            spark.execute(f"drop table if exists `{name}`")
            spark.execute(f"create table `{name}` using parquet location '{location}'")
    return names


def spark_target(directory: Path, schema: str, *, hive: bool) -> dict[str, Any]:
    """The `targets.spark` block of mapforge.yml for a project in `directory`.

    With `hive` the catalog lives in a Derby metastore under the project (a fresh process or
    session sees it); without, it lives in the session, which suits one shared session.
    """
    block: dict[str, Any] = {
        "type": "spark",
        "master": "local[2]",
        "schema": schema,
        "warehouse": str(directory / "spark-warehouse"),
    }
    if hive:
        metastore = directory / "metastore_db"
        block["spark_conf"] = {
            "spark.sql.catalogImplementation": "hive",
            _METASTORE_URL: f"jdbc:derby:;databaseName={metastore};create=true",
            "spark.hadoop.hive.metastore.warehouse.dir": str(directory / "spark-warehouse"),
            # derby.log goes to derby.system.home (else the working directory); takes effect
            # when this session starts the JVM
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={directory}",
        }
    return block


def declare_target(config: Path, name: str, block: dict[str, Any]) -> None:
    """Add (or replace) target `name` in the project's mapforge.yml, keeping other targets."""
    data = yaml.safe_load(config.read_text())
    data["targets"] = {**(data.get("targets") or {}), name: block}
    config.write_text(yaml.safe_dump(data, sort_keys=False))
