"""Static validation: what can be proved about SQL without a database.

`validate_sql` parses the SQL (the gates in statements.py), then runs CHECKS in order. Each
check lives in its own module, reads a `Query` and returns findings; none rewrites the SQL.
"""

from __future__ import annotations

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import Target
from mapforge.validate.column_lineage import check_lineage
from mapforge.validate.columns import check_columns
from mapforge.validate.contract import check_contract
from mapforge.validate.determinism import check_determinism
from mapforge.validate.filters import check_filter
from mapforge.validate.findings import Finding
from mapforge.validate.grain import check_grain
from mapforge.validate.joins import check_joins
from mapforge.validate.output_types import check_output_types
from mapforge.validate.query import Check, Query
from mapforge.validate.rule_text import check_rule_text
from mapforge.validate.statements import parse_query
from mapforge.validate.tables import check_tables

CHECKS: tuple[Check, ...] = (
    check_tables,
    check_columns,
    check_contract,
    check_output_types,
    check_lineage,
    check_joins,
    check_grain,
    check_filter,
    check_determinism,
    check_rule_text,
)


def validate_sql(
    sql: str, target: Target, catalog: Catalog, dialect: str = "duckdb"
) -> list[Finding]:
    """Every static finding for `sql` as the query filling `target`.

    `catalog` must hold every table the SQL may read, including targets it reads: the
    caller merges their contracts in (`mapforge.catalog.compose.planning_catalog`).
    """
    tree, findings = parse_query(sql, target, dialect)
    if tree is None:
        return findings
    query = Query(sql=sql, tree=tree, target=target, catalog=catalog, dialect=dialect)
    for check in CHECKS:
        findings.extend(check(query))
    return findings
