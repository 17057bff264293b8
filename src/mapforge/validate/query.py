"""What every static check reads: one parsed query plus the contract it must meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlglot import exp

from mapforge.catalog.model import Catalog
from mapforge.mapping.spec import Target
from mapforge.validate.findings import Finding, Severity


@dataclass(frozen=True)
class Query:
    """A SQL text that parsed into exactly one read-only query."""

    sql: str
    tree: exp.Expr
    target: Target
    catalog: Catalog
    dialect: str

    def finding(
        self,
        code: str,
        message: str,
        *,
        column: str | None = None,
        hint: str | None = None,
        severity: Severity = Severity.ERROR,
    ) -> Finding:
        """A finding about this query's target."""
        return Finding(
            code=code,
            severity=severity,
            target=self.target.name,
            column=column,
            message=message,
            hint=hint,
        )


class Check(Protocol):
    """One static check: reads a query, returns what it found (never raises on bad SQL)."""

    def __call__(self, query: Query) -> list[Finding]: ...


def unique(findings: list[Finding]) -> list[Finding]:
    """Drop repeats (a wrong name used three times is one mistake), keeping first-seen order."""
    seen: dict[tuple[str, str | None, str], Finding] = {}
    for found in findings:
        seen.setdefault((found.code, found.column, found.message), found)
    return list(seen.values())
