"""`mapforge init`: a small project that checks, plans and runs as soon as it is created."""

from __future__ import annotations

from pathlib import Path

from mapforge.errors import ConfigError

CONFIG = """\
# mapforge project configuration. ${VAR} and ${VAR:-default} read the environment;
# every option can also be set with MAPFORGE_<SECTION>_<OPTION>, e.g. MAPFORGE_LLM_MODEL.
name: __NAME__
mappings:
  - mappings/*
engine:
  type: duckdb
  path: warehouse.duckdb
llm:
  provider: openai            # openai (any OpenAI-compatible endpoint) | anthropic
  base_url: ${MAPFORGE_LLM_BASE_URL:-https://api.openai.com/v1}
  api_key: ${OPENAI_API_KEY:-not-set}
  model: ${MAPFORGE_LLM_MODEL:-gpt-4o-mini}
  max_repairs: 2
privacy:
  send_samples: false         # prompts carry metadata only
"""

MAPPING = """\
target_table,target_column,target_type,source_table,source_column,rule,join,filter,key,load,tests,description
dim_customer,customer_id,INTEGER,customers,id,direct,,customers.active = true,Y,table,,Customer surrogate key
dim_customer,full_name,VARCHAR,customers,,"concat(first_name, ' ', last_name)",,,,,not_null,First and last name
dim_customer,email,VARCHAR,customers,email,"sql: lower(trim(customers.email))",,,,,,Normalized e-mail
dim_customer,signup_date,DATE,customers,signup_date,cast(DATE),,,,,,Signup day
"""

SOURCE_SQL = [
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, "
    "email VARCHAR, signup_date VARCHAR, active BOOLEAN)",
    "COMMENT ON TABLE customers IS 'Customers from the CRM, one row per account'",
    "INSERT INTO customers VALUES (1, 'Ada', 'Lovelace', ' ADA@example.com', '2024-01-05', true), "
    "(2, 'Alan', 'Turing', 'alan@example.com ', '2024-02-11', true), "
    "(3, 'Test', 'User', 'test@example.com', '2024-03-01', false)",
]


def scaffold(directory: Path) -> list[Path]:
    """Create mapforge.yml, a mapping and a DuckDB with one source table; never overwrite."""
    directory.mkdir(parents=True, exist_ok=True)
    config, mapping, db = (
        directory / "mapforge.yml",
        directory / "mappings" / "customers.csv",
        directory / "warehouse.duckdb",
    )
    existing = [p for p in (config, mapping, db) if p.exists()]
    if existing:
        raise ConfigError(
            f"{existing[0]} already exists", hint="run `mapforge init` in an empty directory"
        )
    mapping.parent.mkdir(exist_ok=True)
    (directory / "overrides").mkdir(exist_ok=True)
    config.write_text(CONFIG.replace("__NAME__", directory.resolve().name))
    mapping.write_text(MAPPING)
    _create_sources(db)
    (directory / ".gitignore").write_text(".mapforge/\nwarehouse.duckdb\nwarehouse.duckdb.wal\n")
    return [config, mapping, db]


def _create_sources(path: Path) -> None:
    from mapforge.engines.duckdb import DuckDBEngine

    with DuckDBEngine(path) as engine:
        for statement in SOURCE_SQL:
            engine.execute(statement)
