"""The MF4xx checks stay silent on SQL known to be right, and catch it when it is broken.

Known-right SQL: the retail example's lock (hand-written and compiled statements, checked
against the mapping and the planning catalog of its real DuckDB sources) and every compiled
golden in tests/fixtures/compiler. A false alarm costs a repair round for nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import sqlglot
from golden import Case, cases
from sqlglot import exp

from mapforge import lock
from mapforge.catalog.compose import planning_catalog
from mapforge.catalog.model import Catalog, Column, Table
from mapforge.engines.duckdb import DuckDBEngine
from mapforge.mapping.load import load_spec
from mapforge.mapping.spec import Spec, Target
from mapforge.validate.findings import Finding, Severity
from mapforge.validate.static import validate_sql

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "retail"
SPEC = load_spec([EXAMPLE / "mappings" / "retail.xlsx"])
LOCK = lock.read(EXAMPLE)


@pytest.fixture(scope="module")
def retail_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    sys.path.insert(0, str(EXAMPLE))
    from generate_data import build_sources

    path = tmp_path_factory.mktemp("retail") / "warehouse.duckdb"
    build_sources(path)
    with DuckDBEngine(path, read_only=True) as engine:
        return planning_catalog(engine.catalog(), SPEC)


def _lock_findings(name: str, catalog: Catalog, sql: str | None = None) -> list[Finding]:
    entry = LOCK.get(name)
    target = SPEC.target(name)
    assert entry is not None and entry.sql and target is not None
    return validate_sql(sql or entry.sql, target, catalog, entry.dialect)


@pytest.mark.parametrize("name", [t.name for t in SPEC.targets])
def test_the_example_lock_has_no_findings(name: str, retail_catalog: Catalog) -> None:
    assert [str(f) for f in _lock_findings(name, retail_catalog)] == []


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings if f.severity is Severity.ERROR]


@pytest.mark.parametrize(
    ("name", "old", "new", "code"),
    [
        ("fct_order_line", "<> 'cancelled'", "= 'cancelled'", "MF409"),
        ("fct_order_line", "JOIN orders", "LEFT JOIN orders", "MF404"),
        ("fct_order_line", "orders.customer_id AS", "order_items.product_id AS", "MF401"),
        ("dim_customer", "trim(customers.last_name)", "''", "MF402"),
        (
            "fct_customer_ltv",
            "GROUP BY fct_order_line.customer_id",
            "GROUP BY 1, fct_order_line.status",
            "MF407",
        ),
        ("dim_customer", "WHERE", "CROSS JOIN products WHERE", "MF405"),
        (
            "dim_customer",
            "customers.email AS",
            "CAST(gen_random_uuid() AS TEXT) ||customers.email AS",
            "MF408",
        ),
    ],
)
def test_a_broken_example_is_caught(
    name: str, old: str, new: str, code: str, retail_catalog: Catalog
) -> None:
    entry = LOCK.get(name)
    assert entry is not None and old in entry.sql
    assert code in _codes(_lock_findings(name, retail_catalog, entry.sql.replace(old, new)))


# -- the compiler's goldens -----------------------------------------------------------------

RUNS = [
    (case, dialect)
    for case in cases("compiler")
    for dialect in case.data.get("dialects", ["duckdb"])
]


def _catalog_read_by(sql: str, dialect: str) -> Catalog:
    """The tables and columns the SQL names: the goldens come without a database."""
    tree = sqlglot.parse_one(sql, read=dialect)
    tables = {t.alias_or_name.lower(): t.name.lower() for t in tree.find_all(exp.Table)}
    columns: dict[str, set[str]] = {name: {"id"} for name in tables.values()}
    only = next(iter(columns)) if len(columns) == 1 else None
    for column in tree.find_all(exp.Column):
        table = tables.get(column.table.lower()) if column.table else only
        if table is not None:
            columns[table].add(column.name.lower())
    return Catalog.of(
        [
            Table(name=t, columns=[Column(name=c, type="VARCHAR") for c in sorted(cs)])
            for t, cs in columns.items()
        ]
    )


@pytest.mark.parametrize(("case", "dialect"), RUNS, ids=[f"{c.name}-{d}" for c, d in RUNS])
def test_compiled_goldens_have_no_mf4xx_findings(case: Case, dialect: str) -> None:
    sql = case.expected(".sql" if dialect == "duckdb" else f".{dialect}.sql").read_text()
    target = Target.model_validate(case.data["target"])
    findings = validate_sql(sql, target, _catalog_read_by(sql, dialect), dialect)
    assert [str(f) for f in findings if f.code.startswith("MF4")] == []


def test_the_spec_is_the_examples() -> None:
    # guards the parametrization above against an empty spec that would check nothing
    assert isinstance(SPEC, Spec) and len(SPEC.targets) >= 6 and len(RUNS) >= 10
