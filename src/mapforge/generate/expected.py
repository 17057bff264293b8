"""The mapping's own query for a target's key and structured columns: the sample run's oracle.

Free-text columns are left out (only a model can write them); what remains compiles without
a model and says, for every key value, what each structured column must hold. The planner's
sample step (`sampler`) hands it to `validate.dynamic.sample_check` with the SQL under test.
"""

from __future__ import annotations

from collections.abc import Callable

from mapforge.catalog.model import Catalog
from mapforge.engines.base import Engine
from mapforge.errors import GenerationError
from mapforge.generate.compiler import compile_target
from mapforge.mapping.spec import Target
from mapforge.validate.dynamic import can_sample, sample_check
from mapforge.validate.findings import Finding

Sample = Callable[[str, Target], list[Finding]]


def expected_sql(target: Target, dialect: str = "duckdb") -> str | None:
    """SELECT of the key and the structured columns as the mapping defines them, or None.

    None when there is no key, a key column is free text, the free-text columns carry the
    driving table (leaving them out would change the FROM), or the rest does not compile
    (a free-text filter, say).
    """
    keys = [target.column(k) for k in target.key]
    if not keys or any(k is None or not k.rule.structured for k in keys):
        return None
    partial = target.model_copy(
        update={"columns": [c for c in target.columns if c.rule.structured]}
    )
    if partial.driving_table != target.driving_table:
        return None
    try:
        return compile_target(partial, dialect)
    except GenerationError:
        return None


def sampler(
    engine: Engine, catalog: Catalog, *, rows: int = 500, timeout_s: float = 10.0
) -> Sample:
    """The planner's sample step over `engine`: the SQL and the mapping's query, one sample.

    The oracle is compiled for `engine.dialect`, as the SQL under test is, so the sample runs
    on DuckDB, PostgreSQL and Spark alike; an engine without `sandbox`/`stage` gets none.
    """

    def sample(sql: str, target: Target) -> list[Finding]:
        if not can_sample(engine):
            return []
        oracle = expected_sql(target, engine.dialect)
        return sample_check(
            engine,
            sql,
            target,
            catalog,
            expected_sql=oracle,
            rows_per_source=rows,
            timeout_s=timeout_s,
        )

    return sample
