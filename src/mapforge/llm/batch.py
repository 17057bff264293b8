"""The OpenAI Batch API file formats: requests out, results in, one JSON object a line.

    request: {"custom_id": "<target>::<round>::<prompt hash>", "method": "POST",
              "url": "/v1/chat/completions", "body": {model, messages, temperature, seed}}
    result:  {"id": ..., "custom_id": ..., "error": null,
              "response": {"status_code": 200, "body": {<chat.completion>}}}

`<prompt hash>` is the hash of the target's *first* prompt (the lock's `hashes.prompt`) in
every round, so a result can be checked for staleness without the earlier rounds' answers.
Batch calls cost half the list price at OpenAI and Anthropic: BATCH_DISCOUNT, applied to
the ledger rows written here (purpose `batch`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapforge.config import LLMConfig
from mapforge.llm.ledger import Ledger, LedgerRow, cost_usd, price_for
from mapforge.llm.provider import Completion, CompletionRequest
from mapforge.tokens import estimate_tokens

URL = "/v1/chat/completions"
BATCH_DISCOUNT = 0.5  # batch price / list price, OpenAI and Anthropic alike
_SEP = "::"


@dataclass(frozen=True)
class BatchId:
    """What a custom_id says: which target, which repair round, which inputs."""

    target: str
    round: int
    prompt_hash: str

    def __str__(self) -> str:
        return _SEP.join((self.target, str(self.round), self.prompt_hash))

    @classmethod
    def parse(cls, text: str) -> BatchId | None:
        """The id, or None when the text is not `<target>::<round>::<hash>`."""
        parts = text.rsplit(_SEP, 2)  # rsplit: a target name may itself contain "::"
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])


@dataclass
class BatchResult:
    """One result line: a completion, or the error that replaced it."""

    line: int
    custom_id: str
    completion: Completion | None = None
    error: str | None = None


def request_body(request: CompletionRequest) -> dict[str, Any]:
    """The chat.completions body OpenAIProvider sends for this request (same parameters)."""
    body: dict[str, Any] = {
        "model": request.model,
        "messages": [m.model_dump() for m in request.messages],
        "temperature": request.temperature,
    }
    if request.seed is not None:
        body["seed"] = request.seed
    if request.max_tokens is not None:
        body["max_tokens"] = request.max_tokens
    return body


def write_requests(path: Path, requests: Iterable[tuple[BatchId, CompletionRequest]]) -> int:
    """Write a Batch API input file; return the number of requests."""
    lines = [
        json.dumps(
            {"custom_id": str(bid), "method": "POST", "url": URL, "body": request_body(r)},
            ensure_ascii=False,
            sort_keys=True,
        )
        for bid, r in requests
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return len(lines)


def read_results(path: Path) -> list[BatchResult]:
    """Every non-blank line of a Batch API output file; unreadable lines become errors."""
    results = []
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if text.strip():
            results.append(_result(number, text))
    return results


def _result(number: int, text: str) -> BatchResult:
    try:
        line = json.loads(text)
        custom_id = str(line.get("custom_id") or "")
    except (ValueError, AttributeError):
        return BatchResult(number, "", error="not a JSON object")
    if line.get("error"):
        return BatchResult(number, custom_id, error=_message(line["error"]))
    response = line.get("response") or {}
    status, body = response.get("status_code"), response.get("body") or {}
    if status != 200:
        return BatchResult(number, custom_id, error=f"HTTP {status}: {_message(body.get('error'))}")
    try:
        return BatchResult(number, custom_id, completion=_completion(body))
    except (KeyError, IndexError, TypeError) as exc:
        return BatchResult(number, custom_id, error=f"not a chat.completion body ({exc!r})")


def _completion(body: Mapping[str, Any]) -> Completion:
    choice = body["choices"][0]
    usage = body.get("usage") or {}
    return Completion(
        text=choice["message"]["content"] or "",
        model=body.get("model") or "",
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        finish_reason=choice.get("finish_reason"),
        raw=dict(body),
    )


def _message(error: Any) -> str:
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("code") or error)
    return str(error)


def ledger_row(
    request: CompletionRequest,
    completion: Completion,
    *,
    provider: str,
    prices: Mapping[str, tuple[float, float]] | None = None,
) -> LedgerRow:
    """The ledger row of one batch answer, priced at BATCH_DISCOUNT of the list price."""
    model = completion.model or request.model
    estimated = completion.prompt_tokens is None or completion.completion_tokens is None
    prompt = completion.prompt_tokens
    answer = completion.completion_tokens
    if prompt is None:
        prompt = estimate_tokens("".join(m.content for m in request.messages))
    if answer is None:
        answer = estimate_tokens(completion.text)
    return LedgerRow(
        command="plan",
        provider=provider,
        model=model,
        target=request.target,
        purpose="batch",
        prompt_tokens=prompt,
        completion_tokens=answer,
        estimated=estimated,
        cost_usd=cost_usd(model, prompt, answer, prices) * BATCH_DISCOUNT,
        price_known=price_for(model, prices) is not None,
    )


def record_batch_usage(
    state_dir: Path, cfg: LLMConfig, answers: Iterable[tuple[CompletionRequest, Completion]]
) -> None:
    """One ledger row per batch answer, in `.mapforge/ledger.sqlite` (see LEDGER_FILE)."""
    answers = list(answers)
    if not answers:
        return
    ledger = Ledger(state_dir / "ledger.sqlite")
    try:
        for request, completion in answers:
            ledger.record(ledger_row(request, completion, provider=cfg.provider, prices=cfg.prices))
    finally:
        ledger.close()
