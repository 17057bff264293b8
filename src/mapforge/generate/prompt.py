"""Prompts for targets with free-text rules, rendered from `generate/prompts/*.j2`.

A template defines one macro per message (`system`, `user`); this module prepares sorted,
plain-string views of the target and the catalog slice so that the same inputs always give
byte-identical messages, and hashes both the template text (for the lock's provenance and
the cache key) and the rendered messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2

from mapforge.catalog.model import Catalog, Table
from mapforge.mapping.spec import ColumnMapping, Join, Target
from mapforge.privacy.redact import redact
from mapforge.privacy.samples import Samples, sample_lines

if TYPE_CHECKING:
    from mapforge.validate.findings import Finding

PROMPTS = Path(__file__).parent / "prompts"
GENERATE = "generate.j2"
REPAIR = "repair.j2"
ROLES = ("system", "user")
DIALECT_NAMES = {
    "bigquery": "BigQuery",
    "duckdb": "DuckDB",
    "mysql": "MySQL",
    "postgres": "PostgreSQL",
    "snowflake": "Snowflake",
    "spark": "Spark SQL",
    "tsql": "T-SQL (SQL Server)",
}


class FindingLike(Protocol):
    """What a repair prompt reads of a finding (mapforge.validate.findings.Finding fits)."""

    code: str
    message: str
    hint: str | None
    column: str | None


@dataclass(frozen=True)
class Prompt:
    """Rendered chat messages plus what identifies them: template name and hashes."""

    messages: list[dict[str, str]]
    template: str
    template_hash: str
    text_hash: str


def build_prompt(
    target: Target, catalog_slice: Catalog, dialect: str = "duckdb", samples: Samples | None = None
) -> Prompt:
    """The zero-shot prompt asking for the one SELECT that fills `target`.

    `samples` ({"table.column": [masked values]}, privacy.send_samples only) adds a
    sample-values section; without it the prompt carries metadata only.
    """
    context = _context(target, catalog_slice, dialect)
    context["samples"] = sample_lines(samples)
    return _render((GENERATE,), context)


def build_repair_prompt(
    target: Target,
    catalog_slice: Catalog,
    sql: str,
    findings: Sequence[Finding | FindingLike],
    dialect: str = "duckdb",
) -> Prompt:
    """The prompt sending a previous answer and its findings back for a corrected SELECT."""
    context = _context(target, catalog_slice, dialect)
    context["previous_sql"] = sql.strip()
    context["fence"] = _fence_for(sql)
    context["findings"] = _findings(findings)
    # repair.j2 imports generate.j2, so both texts are its version
    return _render((REPAIR, GENERATE), context)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROMPTS),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # the output is a chat message, not HTML
    )


def _render(names: tuple[str, ...], context: dict[str, Any]) -> Prompt:
    env = _environment()
    module = env.get_template(names[0]).make_module(context)
    # each template defines one macro per message, named after the message's role
    # redact: a comment or description holding a connection string must not reach a model
    messages = [{"role": role, "content": redact(str(getattr(module, role)()))} for role in ROLES]
    return Prompt(messages, names[0], _template_hash(env, names), _text_hash(messages))


def _template_hash(env: jinja2.Environment, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        digest.update(source.encode())
    return digest.hexdigest()[:16]


def _text_hash(messages: list[dict[str, str]]) -> str:
    text = json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _context(target: Target, catalog_slice: Catalog, dialect: str) -> dict[str, Any]:
    tables = sorted(catalog_slice.tables.values(), key=lambda t: t.name.lower())
    return {
        "dialect": DIALECT_NAMES.get(dialect.lower(), dialect),
        "target": _target_view(target),
        "tables": [_table_view(t) for t in tables],
        "samples": [],
    }


def _line(text: str | None) -> str:
    """One line of text: cells and comments may hold new lines that would break the layout."""
    return " ".join((text or "").split())


def _target_view(target: Target) -> dict[str, Any]:
    return {
        "name": target.name,
        "description": _line(target.description),
        "load": target.load.value,
        "key": target.key,
        "columns": [_column_view(c) for c in target.columns],
        "column_names": [c.name for c in target.columns],
        "joins": [_join_text(j) for j in target.joins],
        "filter": _line(target.filter),
    }


def _column_view(col: ColumnMapping) -> dict[str, Any]:
    source = ".".join(p for p in (col.source_table, col.source_column) if p)
    return {
        "name": col.name,
        "type": col.type,
        "nullable": col.nullable,
        "description": _line(col.description),
        "source": source,
        "structured": col.rule.structured,
        "rule": _line(col.rule.text) or col.rule.kind.value,
    }


def _join_text(join: Join) -> str:
    if join.text:
        return _line(join.text)
    alias = f" AS {join.alias}" if join.alias else ""
    on = f" ON {_line(join.on)}" if join.on else ""
    return f"{join.kind.value.upper()} JOIN {join.table}{alias}{on}"


def _table_view(table: Table) -> dict[str, Any]:
    keys = sorted(table.foreign_keys, key=lambda fk: (fk.ref_table.lower(), fk.columns))
    return {
        "name": table.name,
        "kind": table.kind,
        "comment": _line(table.comment),
        "row_count": table.row_count,
        "columns": [
            {"name": c.name, "type": c.type, "nullable": c.nullable, "comment": _line(c.comment)}
            for c in table.columns
        ],
        "primary_key": table.primary_key,
        "foreign_keys": [
            f"({', '.join(fk.columns)}) -> {fk.ref_table} ({', '.join(fk.ref_columns)})"
            for fk in keys
        ],
    }


def _findings(findings: Sequence[Finding | FindingLike]) -> list[dict[str, str]]:
    # sorted so the prompt (and its cache key) does not depend on the order checks ran in
    views = [
        {
            "code": f.code,
            "column": f.column or "",
            "message": _line(f.message),
            "hint": _line(f.hint),
        }
        for f in findings
    ]
    return sorted(views, key=lambda v: (v["code"], v["column"], v["message"], v["hint"]))


def _fence_for(sql: str) -> str:
    """A backtick fence longer than any backtick run in `sql`, so the SQL cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", sql)), default=0)
    return "`" * max(3, longest + 1)
