"""`mapforge ask`: a natural-language question answered with one validated, read-only SELECT.

question ─► catalog slice (BM25 over the database + target contracts, llm.max_prompt_tokens)
         ─► ask.j2 (metadata only, never rows) ─► gateway, purpose "ask":
            exact cache, then semantic cache (paraphrases), then the model
         ─► extract_sql ─► one read-only SELECT? tables and columns exist? EXPLAIN
         ─► findings? one repair round (purpose "ask-repair": never served by meaning)
         ─► run=True: SELECT * FROM (<sql>) LIMIT n, in a sandbox that is rolled back
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp

from mapforge.catalog.compose import planning_catalog
from mapforge.catalog.embeddings import HashingEmbedder
from mapforge.catalog.model import Catalog, Table
from mapforge.catalog.question import select_for_question
from mapforge.config import LLMConfig
from mapforge.engines import Engine
from mapforge.errors import ConfigError, EngineError
from mapforge.generate.ask_prompt import build_ask_prompt, build_ask_repair_prompt
from mapforge.generate.extract import extract_sql
from mapforge.generate.prompt import Prompt
from mapforge.llm import Gateway, make_gateway
from mapforge.llm.provider import Completion, CompletionRequest, Message
from mapforge.llm.semantic_cache import SemanticCache
from mapforge.llm.semantic_stores import open_store
from mapforge.mapping.spec import Target
from mapforge.project import Project
from mapforge.validate.columns import check_columns
from mapforge.validate.findings import Finding, has_errors
from mapforge.validate.query import Query
from mapforge.validate.reads import tables_read
from mapforge.validate.sources import is_catalog_table
from mapforge.validate.statements import parse_query
from mapforge.validate.tables import check_tables

ASK = Target(name="ask", columns=[])  # findings about a question name this in place of a target
Cached = Literal["exact", "semantic", "none"]
GENERATORS = (exp.GenerateSeries,)  # table functions that read nothing (range, generate_series)


@dataclass
class AskResult:
    """The SQL answering a question, what was found wrong with it, and the rows if run."""

    question: str
    sql: str | None = None
    tables: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    clarification: str | None = None  # the model's question back to the user
    columns: list[str] | None = None
    rows: list[tuple[Any, ...]] | None = None
    run_error: str | None = None
    cached: Cached = "none"
    calls: int = 0  # provider calls, retries included
    notes: list[str] = field(default_factory=list)  # what the slice left out

    @property
    def ok(self) -> bool:
        """SQL with no error finding, no open question, and a run (if any) that worked."""
        clean = self.sql is not None and self.clarification is None
        return clean and not has_errors(self.findings) and self.run_error is None

    def to_json(self) -> dict[str, Any]:
        """{question, sql, findings, cached[, clarification, rows, ...]} for `--json`."""
        data: dict[str, Any] = {
            "question": self.question,
            "sql": self.sql,
            "tables": self.tables,
            "findings": [f.model_dump(mode="json") for f in self.findings],
            "cached": self.cached,
        }
        if self.clarification is not None:
            data["clarification"] = self.clarification
        if self.rows is not None:
            data["columns"] = self.columns
            data["rows"] = [dict(zip(self.columns or [], r, strict=True)) for r in self.rows]
        if self.run_error is not None:
            data["run_error"] = self.run_error
        if self.notes:
            data["notes"] = self.notes
        return data


def ask(
    project: Project,
    question: str,
    *,
    run: bool = False,
    limit: int = 20,
    use_cache: bool = True,
    target: str | None = None,
) -> AskResult:
    """Answer `question` with one validated SELECT; `run` executes it (at most `limit` rows).

    `target` names an engine of `targets:` in mapforge.yml (None: the default engine): its
    catalog is asked about, in its dialect, and it EXPLAINs and runs the answer.
    """
    if not question.strip():
        raise ConfigError("ask: the question is empty", hint='mapforge ask "how many orders ..."')
    if limit < 1:
        raise ConfigError(f"ask: --limit must be at least 1, not {limit}")
    engine = project.engine(target)  # an unknown name is run --target's ConfigError
    catalog = _catalog(project, engine)
    cfg = project.config.llm
    chosen = select_for_question(question, catalog, cfg.max_prompt_tokens)
    session = _Session(question, chosen.catalog, catalog, engine, cfg)
    with _gateway(project, use_cache) as gateway:
        result = session.answer(gateway)
    result.notes = chosen.notes
    if run and result.ok and result.sql is not None:
        _run(engine, result, result.sql, limit)
    return result


def _catalog(project: Project, engine: Engine) -> Catalog:
    """The database's tables plus the targets' contracts (when the project has mappings)."""
    database = engine.catalog()
    try:
        project.mapping_files()
    except ConfigError:
        return database  # a database without mappings can still be asked about
    return planning_catalog(database, project.spec)


def _gateway(project: Project, use_cache: bool) -> Gateway:
    # the llm package imports nothing of ours: the embedder is chosen here, for ask only
    store = SemanticCache(open_store(project.state_dir), HashingEmbedder()) if use_cache else None
    cfg, state = project.config.llm, project.state_dir
    return make_gateway(cfg, state, use_cache=use_cache, command="ask", semantic=store)


@dataclass
class _Session:
    """One question: ask, validate, repair once."""

    question: str
    catalog_slice: Catalog
    catalog: Catalog  # validation checks names against all of it, not only the slice
    engine: Engine
    cfg: LLMConfig

    def answer(self, gateway: Gateway) -> AskResult:
        """The model's SQL (repaired once if need be) with its findings."""
        before = (gateway.calls, gateway.cache_hits, gateway.semantic_hits)
        prompt = build_ask_prompt(self.question, self.catalog_slice, self.engine.dialect)
        first = self._request(prompt, "ask")
        answer = gateway.complete(first)
        result = self._check(answer)
        if has_errors(result.findings):
            previous = result.sql or answer.text  # prose goes back too: "answer with SQL"
            repair = build_ask_repair_prompt(
                self.question, self.catalog_slice, previous, result.findings, self.engine.dialect
            )
            completion = gateway.complete(self._request(repair, "ask-repair"))
            repaired = self._check(completion)
            if repaired.ok and gateway.semantic is not None:
                # paraphrases should get the SQL that passed, not the one that needed repair
                gateway.semantic.remember(first, completion)
            result = repaired if repaired.sql is not None or repaired.clarification else result
        result.calls, result.cached = _cached(before, gateway)
        return result

    def _check(self, completion: Completion) -> AskResult:
        result = AskResult(self.question)
        extraction = extract_sql(completion.text, self.engine.dialect)
        if extraction.clarification is not None:
            result.clarification = extraction.clarification
        elif extraction.sql is None:
            message = f"{extraction.problem or 'no SQL'}: {_excerpt(completion.text)}"
            hint = "ask again, naming the tables or columns you mean"
            result.findings = [Finding(code="MF005", target=ASK.name, message=message, hint=hint)]
        else:
            result.sql = extraction.sql
            result.findings = validate_question_sql(extraction.sql, self.catalog, self.engine)
            result.tables = _tables(extraction.sql, self.catalog, self.engine.dialect)
        return result

    def _request(self, prompt: Prompt, purpose: str) -> CompletionRequest:
        return CompletionRequest(
            messages=[Message(role=m["role"], content=m["content"]) for m in prompt.messages],
            model=self.cfg.model,
            temperature=self.cfg.temperature,
            seed=self.cfg.seed,
            purpose=purpose,
            semantic_text=self.question,
            schema_hash=_schema_hash(
                self.catalog_slice, prompt, self.cfg.model, self.engine.dialect
            ),
            schema_terms=_terms(self.catalog_slice),
        )


def validate_question_sql(sql: str, catalog: Catalog, engine: Engine) -> list[Finding]:
    """One read-only SELECT over catalog tables and columns that the engine can plan."""
    tree, findings = parse_query(sql, ASK, engine.dialect)
    if tree is None:
        return findings
    query = Query(sql=sql, tree=tree, target=ASK, catalog=catalog, dialect=engine.dialect)
    findings = check_tables(query) + _table_functions(query) + check_columns(query)
    if has_errors(findings):
        return findings
    try:
        engine.explain(sql, _stubs(sql, catalog, engine))
    except EngineError as exc:
        hint = "the database's binder refused the statement"
        return [Finding(code="MF501", target=ASK.name, message=exc.message, hint=hint)]
    return findings


def _table_functions(query: Query) -> list[Finding]:
    # validate.sources accepts `read_csv(...)` as a source; a question is answered from the
    # catalog only, never from files or URLs the model chose
    return [
        query.finding(
            "MF102",
            f"'{table.sql(query.dialect)}' is a table function, not a catalog table",
            hint="read only the tables listed in the prompt",
        )
        for table in query.tree.find_all(exp.Table)
        if not is_catalog_table(table) and not isinstance(table.this, GENERATORS)
    ]


def _stubs(sql: str, catalog: Catalog, engine: Engine) -> list[Table]:
    """Target contracts the SQL reads that are not built yet: EXPLAIN binds against them."""
    read = {n.lower() for n in tables_read(sql, engine.dialect)}
    return [
        t
        for key, t in catalog.tables.items()
        if t.kind == "target" and key in read and not engine.table_exists(t.name)
    ]


def _run(engine: Engine, result: AskResult, sql: str, limit: int) -> None:
    # the sandbox rolls back whatever the statement might have touched; the LIMIT wraps
    # the query, so the model's own ORDER BY / LIMIT keep their meaning
    wrapped = f"SELECT * FROM (\n{sql}\n) AS answer LIMIT {int(limit)}"
    try:
        with engine.sandbox({}):
            rows = engine.query(wrapped)
    except EngineError as exc:
        result.run_error = exc.message
        return
    result.columns, result.rows = rows.columns, rows.rows


def _tables(sql: str, catalog: Catalog, dialect: str) -> list[str]:
    found = (catalog.table(n) for n in tables_read(sql, dialect))
    return sorted({t.name for t in found if t is not None})


def _schema_hash(catalog_slice: Catalog, prompt: Prompt, model: str, dialect: str) -> str:
    # the semantic cache keys on this alone: a new template or model must not reuse answers,
    # nor another engine's (the catalog fingerprint leaves the dialect out: `ask --target`)
    text = f"{catalog_slice.fingerprint()}:{dialect}:{prompt.template_hash}:{model}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _terms(catalog_slice: Catalog) -> list[str]:
    """Table and column names: a question naming another column must not hit the cache."""
    names = {t.name for t in catalog_slice.tables.values()}
    names |= {c.name for t in catalog_slice.tables.values() for c in t.columns}
    return sorted(names)


def _cached(before: Sequence[int], gateway: Gateway) -> tuple[int, Cached]:
    calls = gateway.calls - before[0]
    if calls:
        return calls, "none"
    if gateway.semantic_hits > before[2]:
        return 0, "semantic"
    return 0, "exact" if gateway.cache_hits > before[1] else "none"


def _excerpt(text: str, limit: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
