"""The data tests of one target: its key, plus what its mapping rows declare."""

from __future__ import annotations

from mapforge.mapping.spec import Target
from mapforge.quality.checks import Check, not_null, parse_test, unique


def target_checks(target: Target) -> list[Check]:
    """Key not_null + unique, then every declared column and table test, without duplicates."""
    checks: list[Check] = []
    if target.key:
        checks += [not_null(target.name, column) for column in target.key]
        checks.append(unique(target.name, target.key))
    for column in target.columns:
        checks += [parse_test(text, target.name, column.name) for text in column.tests]
    checks += [parse_test(text, target.name, None) for text in target.tests]
    seen: set[tuple[str, str]] = set()
    return [c for c in checks if (c.name, c.sql) not in seen and not seen.add((c.name, c.sql))]  # type: ignore[func-returns-value]
