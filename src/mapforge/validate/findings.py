"""Findings: what a check found, as data. Codes are stable and documented in docs/findings.md."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"
    INFO = "info"


# code -> slug; the slug is what users grep for. Never renumber: locks and CI logs keep them.
CODES: dict[str, str] = {
    "MF001": "parse-error",
    "MF002": "not-one-statement",
    "MF003": "not-a-query",
    "MF004": "ddl-or-dml",
    "MF005": "no-sql-in-answer",
    "MF101": "unknown-column",
    "MF102": "unknown-table",
    "MF103": "ambiguous-column",
    "MF201": "missing-output-column",
    "MF202": "extra-output-column",
    "MF203": "output-column-order",
    "MF204": "uncastable-output-type",
    "MF205": "unnamed-output-column",
    "MF206": "select-star",
    "MF301": "mapping-unknown-source-table",
    "MF302": "mapping-unknown-source-column",
    "MF303": "mapping-uncastable-type",
    "MF304": "mapping-lookup-key-missing",
    "MF305": "mapping-unknown-dependency",
    "MF401": "undeclared-source-column",
    "MF402": "unused-source-column",
    "MF403": "wrong-source-table",
    "MF404": "join-mismatch",
    "MF405": "join-without-condition",
    "MF406": "undeclared-join",
    "MF407": "grain-mismatch",
    "MF408": "nondeterministic",
    "MF409": "missing-filter",
    "MF410": "rule-literal-missing",
    "MF411": "rule-aggregate-mismatch",
    "MF412": "rule-comparison-mismatch",
    "MF413": "rule-negation-mismatch",
    "MF414": "rule-precision-mismatch",
    "MF501": "explain-failed",
    "MF502": "duplicate-output-key",
    "MF503": "null-output-key",
    "MF504": "null-in-not-null-column",
    "MF505": "cast-failed-on-sample",
    "MF506": "row-count-off-grain",
    "MF507": "value-differs-from-rule",
    "MF508": "sample-run-failed",
    "MF509": "sample-timeout",
    "MF510": "sample-unavailable",
    "MF511": "output-type-family",
    "MF601": "untranslatable-dialect",
}


class Finding(BaseModel):
    code: str
    severity: Severity = Severity.ERROR
    target: str
    column: str | None = None
    message: str
    hint: str | None = None

    @property
    def slug(self) -> str:
        return CODES.get(self.code, "unknown")

    def __str__(self) -> str:
        where = f"{self.target}.{self.column}" if self.column else self.target
        text = f"{self.code} {self.slug} [{self.severity}] {where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
