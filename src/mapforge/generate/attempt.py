"""One model-written target: prompt, answer, validate, repair — a bounded number of rounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from mapforge.catalog.model import Catalog
from mapforge.generate.extract import extract_sql
from mapforge.generate.prompt import Prompt, build_repair_prompt
from mapforge.llm.provider import Completion, CompletionRequest, Message
from mapforge.lock import Attempt
from mapforge.mapping.spec import Target
from mapforge.validate.findings import Finding, Severity, has_errors

Validator = Callable[[str, Target], list[Finding]]


class Completer(Protocol):
    """What the attempt loop needs of the gateway."""

    def complete(self, request: CompletionRequest) -> Completion: ...


@dataclass
class Outcome:
    sql: str | None = None
    findings: list[Finding] = field(default_factory=list)
    question: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    calls: int = 0

    @property
    def ok(self) -> bool:
        return self.sql is not None and self.question is None and not has_errors(self.findings)


@dataclass
class LLMSettings:
    model: str
    temperature: float = 0.0
    seed: int | None = 0
    max_repairs: int = 2


def generate_with_repair(
    target: Target,
    prompt: Prompt,
    catalog_slice: Catalog,
    gateway: Completer,
    validate: Validator,
    settings: LLMSettings,
    dialect: str,
) -> Outcome:
    """Ask, validate, and send findings back up to `max_repairs` times."""
    outcome = Outcome()
    current = prompt
    for round_no in range(settings.max_repairs + 1):
        purpose = "generate" if round_no == 0 else "repair"
        answer = gateway.complete(_request(current, target, settings, purpose))
        outcome.calls += 1
        extraction = extract_sql(answer.text)
        if extraction.clarification:
            outcome.question = extraction.clarification
            outcome.attempts.append(
                Attempt(round=round_no, problem=f"clarification: {extraction.clarification}")
            )
            return outcome
        findings = _findings_for(extraction.sql, extraction.problem, target, validate)
        outcome.attempts.append(
            Attempt(
                round=round_no,
                sql=extraction.sql,
                findings=[f.model_dump(mode="json") for f in findings],
            )
        )
        outcome.sql, outcome.findings = extraction.sql, findings
        if outcome.ok:
            return outcome
        current = build_repair_prompt(
            target, catalog_slice, extraction.sql or answer.text, findings, dialect
        )
    return outcome


def _findings_for(
    sql: str | None, problem: str | None, target: Target, validate: Validator
) -> list[Finding]:
    if sql is None:
        return [
            Finding(
                code="MF005",
                severity=Severity.ERROR,
                target=target.name,
                message=problem or "the answer contains no SQL",
                hint="answer with exactly one SELECT in a ```sql fence",
            )
        ]
    return validate(sql, target)


def _request(
    prompt: Prompt, target: Target, settings: LLMSettings, purpose: str
) -> CompletionRequest:
    return CompletionRequest(
        messages=[Message(role=m["role"], content=m["content"]) for m in prompt.messages],
        model=settings.model,
        temperature=settings.temperature,
        seed=settings.seed,
        target=target.name,
        purpose=purpose,
    )
