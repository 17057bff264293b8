"""The model layer: providers behind one protocol, and the Gateway every call goes through.

A new vendor is one module with a class satisfying `Provider`, registered in PROVIDERS and
`make_provider`. Providers are imported there, on first use: the SDKs are slow to import
(and `anthropic` is an optional extra), and most commands never call a model.
"""

from __future__ import annotations

from pathlib import Path

from mapforge.config import LLMConfig
from mapforge.errors import ConfigError
from mapforge.llm.cache import ExactCache, cache_key
from mapforge.llm.gateway import Gateway, estimate_tokens
from mapforge.llm.lazy import LazyGateway
from mapforge.llm.ledger import PRICES, Ledger, LedgerRow, cost_usd, price_for
from mapforge.llm.provider import (
    Completion,
    CompletionRequest,
    Message,
    Provider,
    TransientProviderError,
)
from mapforge.llm.ratelimit import TokenBucket
from mapforge.llm.semantic_cache import SemanticCache

__all__ = [
    "PRICES",
    "PROVIDERS",
    "Completion",
    "CompletionRequest",
    "ExactCache",
    "Gateway",
    "LazyGateway",
    "Ledger",
    "LedgerRow",
    "Message",
    "Provider",
    "TokenBucket",
    "TransientProviderError",
    "cache_key",
    "cost_usd",
    "estimate_tokens",
    "make_gateway",
    "make_provider",
    "price_for",
]

PROVIDERS = ("openai", "anthropic")
CACHE_FILE = "cache.sqlite"
LEDGER_FILE = "ledger.sqlite"


def make_provider(cfg: LLMConfig) -> Provider:
    """The provider named by `llm.provider` in mapforge.yml."""
    if cfg.provider == "openai":
        # the SDK takes a second to import: only commands that call a model pay for it
        from mapforge.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(
            model=cfg.model,
            base_url=cfg.base_url,
            api_key=cfg.api_key,
            timeout=cfg.timeout,
            seed=cfg.seed,
        )
    if cfg.provider == "anthropic":
        return _anthropic(cfg)
    raise ConfigError(
        f"llm.provider: unknown provider {cfg.provider!r}",
        hint=f"use one of {', '.join(PROVIDERS)}; OpenAI-compatible servers "
        "(Azure, Ollama, vLLM, LM Studio, LiteLLM) use 'openai' with llm.base_url",
    )


def _anthropic(cfg: LLMConfig) -> Provider:
    # `anthropic` is an optional extra: import it only when asked for.
    try:
        from mapforge.llm.anthropic_provider import AnthropicProvider
    except ImportError:
        raise ConfigError(
            "llm.provider is 'anthropic' but the anthropic package is not installed",
            hint="pip install 'mapforge[anthropic]'",
        ) from None
    return AnthropicProvider(
        model=cfg.model, base_url=cfg.base_url, api_key=cfg.api_key, timeout=cfg.timeout
    )


def make_gateway(
    cfg: LLMConfig,
    state_dir: Path,
    *,
    use_cache: bool = True,
    command: str = "plan",
    budget_usd: float | None = None,
    semantic: SemanticCache | None = None,
) -> Gateway:
    """A gateway wired from config: cache and ledger under `state_dir` (.mapforge/).

    `semantic` (built by the caller, who owns the embedder) serves paraphrased questions.
    """
    return Gateway(
        make_provider(cfg),
        cache=ExactCache(state_dir / CACHE_FILE, ttl_s=cfg.cache_ttl_s, enabled=use_cache),
        semantic=semantic,
        ledger=Ledger(state_dir / LEDGER_FILE),
        rps=cfg.rps,
        max_concurrency=cfg.max_concurrency,
        max_retries=cfg.max_retries,
        budget_usd=budget_usd if budget_usd is not None else cfg.budget_usd,
        budget_usd_per_day=cfg.budget_usd_per_day,
        prices=cfg.prices,
        command=command,
    )
