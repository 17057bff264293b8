"""The Gateway: the only code that calls a Provider.

    complete(request)
      exact cache hit, else semantic cache hit (purpose "ask")? ─► answer (no call)
      budget: run's spent + estimate > budget_usd, or ledger's today + estimate >
              budget_usd_per_day? ─► BudgetExceeded
      retry (tenacity, exponential backoff + jitter, ≥ Retry-After) on TransientProviderError:
          concurrency slot ─► token bucket (rps) ─► provider.complete
      ledger row (always) ─► cache the answer

The budget estimate for a call, before it is made: prompt tokens = characters / 4 of all
messages, completion tokens = `request.max_tokens` or COMPLETION_ESTIMATE, priced with the
model's price (an unknown price estimates 0 and is never refused). Estimates in flight
are reserved, so concurrent calls cannot overshoot the budget together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_exponential_jitter
from tenacity.retry import retry_if_exception

from mapforge.errors import BudgetExceeded, MapforgeError, ProviderError
from mapforge.llm.cache import ExactCache
from mapforge.llm.ledger import Ledger, LedgerRow, Outcome, cost_usd, price_for
from mapforge.llm.provider import Completion, CompletionRequest, Provider, TransientProviderError
from mapforge.llm.ratelimit import TokenBucket
from mapforge.llm.semantic_cache import SemanticCache
from mapforge.tokens import estimate_tokens

COMPLETION_ESTIMATE = 1024  # tokens assumed for an answer when max_tokens is not set
RATE_SLACK = 0.05  # keep 5 % under llm.rps: see ratelimit.py, why exact pacing gets 429s
MAX_RETRY_AFTER = 120.0  # a server asking for a longer pause is not retried: fail now
Result = Completion | Exception


def prompt_tokens_estimate(request: CompletionRequest) -> int:
    """Estimated prompt tokens of a request, from its characters."""
    return estimate_tokens("".join(m.content for m in request.messages))


class Gateway:
    """Cache, budget, rate limit, concurrency, retries and the ledger around one provider.

    The gateway owns what it is given: `close()` closes the provider, cache and ledger.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        cache: ExactCache | None = None,
        semantic: SemanticCache | None = None,
        ledger: Ledger | None = None,
        rps: float | None = None,
        max_concurrency: int = 4,
        max_retries: int = 4,
        budget_usd: float | None = None,
        budget_usd_per_day: float | None = None,
        prices: Mapping[str, tuple[float, float]] | None = None,
        command: str = "plan",
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.provider, self.cache, self.ledger = provider, cache, ledger
        self.max_concurrency, self.max_retries = max_concurrency, max_retries
        self.budget_usd, self.prices, self.command = budget_usd, dict(prices or {}), command
        self.budget_usd_per_day = budget_usd_per_day  # checked against the ledger's today
        self.calls = 0  # real provider calls, retries included
        self.cache_hits = 0
        self.semantic, self.semantic_hits = semantic, 0  # natural-language requests only
        self.spent_usd = 0.0  # this gateway's run
        self._reserved = 0.0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._bucket = TokenBucket(rps, slack=RATE_SLACK) if rps else None
        self._backoff = wait_exponential_jitter(
            multiplier=backoff_s, max=max_backoff_s, jitter=backoff_s
        )

    # -- public ----------------------------------------------------------------------

    def complete(self, request: CompletionRequest) -> Completion:
        """One answer: from the cache, or from the provider within budget, with retries."""
        cached = self.cache.get(self.provider.name, request) if self.cache else None
        semantic = cached is None and self.semantic is not None
        if semantic:
            cached = self.semantic.lookup(request)  # type: ignore[union-attr]
        if cached is not None:
            with self._lock:
                self.cache_hits += 1
                self.semantic_hits += semantic
            self._record(self._row(request, cache="semantic" if semantic else "exact"))
            return cached
        estimate = self._reserve(request)
        started, attempts = time.monotonic(), [0]
        try:
            completion = self._with_retries(request, attempts)
        except Exception as exc:
            self._settle(estimate, 0.0)
            self._record_failure(request, exc, time.monotonic() - started, attempts[0])
            final = self._final(exc, attempts[0])
            if final is exc:
                raise
            raise final from exc
        row = self._success_row(request, completion, time.monotonic() - started, attempts[0])
        self._settle(estimate, row.cost_usd)
        self._record(row)
        if self.cache:
            self.cache.put(self.provider.name, request, completion)
        if self.semantic is not None:
            self.semantic.remember(request, completion)
        return completion

    def map(
        self,
        requests: Iterable[CompletionRequest],
        on_done: Callable[[int, Result], None] | None = None,
    ) -> list[Result]:
        """Complete many requests concurrently; failures come back as exceptions, in order.

        `on_done(index, result)` runs in the calling thread as each request finishes.
        Only MapforgeErrors are returned as values; anything else is a bug and raises.
        """
        todo = list(requests)
        results: list[Result | None] = [None] * len(todo)
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="mapforge-llm") as pool:
            futures = {pool.submit(self.complete, r): i for i, r in enumerate(todo)}
            for future in as_completed(futures):
                index = futures[future]
                try:
                    results[index] = future.result()
                except MapforgeError as exc:
                    results[index] = exc
                if on_done is not None:
                    on_done(index, results[index])  # type: ignore[arg-type]
        return results  # type: ignore[return-value]

    def estimate_usd(self, request: CompletionRequest) -> float:
        """The pre-flight cost estimate the budget check uses."""
        completion = request.max_tokens or COMPLETION_ESTIMATE
        return cost_usd(request.model, prompt_tokens_estimate(request), completion, self.prices)

    def close(self) -> None:
        """Close the provider's connections, the cache and the ledger."""
        close = getattr(self.provider, "close", None)
        if callable(close):
            close()
        for store in (self.cache, self.semantic, self.ledger):
            if store is not None:
                store.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- retries ---------------------------------------------------------------------

    def _with_retries(self, request: CompletionRequest, attempts: list[int]) -> Completion:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        return retrying(self._attempt, request, attempts)

    def _attempt(self, request: CompletionRequest, attempts: list[int]) -> Completion:
        with self._slots:
            if self._bucket is not None:
                self._bucket.acquire()  # inside the slot: the send follows the token at once
            with self._lock:
                self.calls += 1
            attempts[0] += 1
            return self.provider.complete(request)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None) or 0.0
        return max(self._backoff(state), retry_after)

    def _final(self, exc: Exception, attempts: int) -> Exception:
        if isinstance(exc, TransientProviderError):
            return ProviderError(
                f"{exc.message} (gave up after {attempts} attempts)",
                hint="check the endpoint is up; raise llm.max_retries or lower llm.rps",
            )
        return exc

    # -- budget ----------------------------------------------------------------------

    def _reserve(self, request: CompletionRequest) -> float:
        estimate = self.estimate_usd(request)
        today = self._spent_today()
        with self._lock:
            refusal = self._refusal(request.model, estimate, today)
            if refusal is None:
                self._reserved += estimate
        if refusal is not None:
            message, hint = refusal
            self._record(self._row(request, outcome="budget", error=message))
            raise BudgetExceeded(message, hint=hint)
        return estimate

    def _spent_today(self) -> float:
        if self.budget_usd_per_day is None or self.ledger is None:
            return 0.0
        return self.ledger.spent_today()

    def _refusal(self, model: str, estimate: float, today: float) -> tuple[str, str] | None:
        """(message, hint) when the call would pass the run's or the day's budget."""
        call = f"this call to {model} would cost ~${estimate:.4f}"
        run = self.spent_usd + self._reserved
        if self.budget_usd is not None and run + estimate > self.budget_usd:
            return (
                f"budget: {call}; ${run:.4f} of this run's ${self.budget_usd:.4f} "
                "(llm.budget_usd) is spent or in flight",
                "raise llm.budget_usd in mapforge.yml or pass --budget USD, or plan fewer "
                "targets (--select); targets finished so far are kept in mapforge.lock",
            )
        day = today + self._reserved  # ledger rows of finished calls + calls in flight
        if self.budget_usd_per_day is not None and day + estimate > self.budget_usd_per_day:
            return (
                f"daily budget: {call}; ${day:.4f} of today's (UTC) "
                f"${self.budget_usd_per_day:.4f} (llm.budget_usd_per_day) is spent or in flight",
                "raise llm.budget_usd_per_day in mapforge.yml (MAPFORGE_LLM_BUDGET_USD_PER_DAY), "
                "or wait for the next UTC day; see `mapforge cost --by day`",
            )
        return None

    def _settle(self, estimate: float, actual: float) -> None:
        with self._lock:
            self._reserved -= estimate
            self.spent_usd += actual

    # -- ledger ----------------------------------------------------------------------

    def _success_row(
        self, request: CompletionRequest, completion: Completion, latency: float, attempts: int
    ) -> LedgerRow:
        estimated = completion.prompt_tokens is None or completion.completion_tokens is None
        prompt = completion.prompt_tokens
        answer = completion.completion_tokens
        if prompt is None:
            prompt = prompt_tokens_estimate(request)
        if answer is None:
            answer = estimate_tokens(completion.text)
        return self._row(
            request,
            prompt_tokens=prompt,
            completion_tokens=answer,
            estimated=estimated,
            cost_usd=cost_usd(request.model, prompt, answer, self.prices),
            latency_s=latency,
            retries=max(0, attempts - 1),
        )

    def _record_failure(
        self, request: CompletionRequest, exc: Exception, latency: float, attempts: int
    ) -> None:
        outcome: Outcome = "budget" if isinstance(exc, BudgetExceeded) else "error"
        error = f"{type(exc).__name__}: {exc}"
        retries = max(0, attempts - 1)
        self._record(
            self._row(request, outcome=outcome, error=error, latency_s=latency, retries=retries)
        )

    def _row(self, request: CompletionRequest, **fields: Any) -> LedgerRow:
        return LedgerRow(
            command=self.command,
            provider=self.provider.name,
            model=request.model,
            target=request.target,
            purpose=request.purpose,
            price_known=price_for(request.model, self.prices) is not None,
            **fields,
        )

    def _record(self, row: LedgerRow) -> None:
        if self.ledger is not None:
            self.ledger.record(row)


def _retryable(exc: BaseException) -> bool:
    if not isinstance(exc, TransientProviderError):
        return False
    return exc.retry_after is None or exc.retry_after <= MAX_RETRY_AFTER
