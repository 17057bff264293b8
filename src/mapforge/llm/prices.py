"""Prices from the optional `genai-prices` package, for models the built-in table lacks.

`pip install 'mapforge[prices]'` adds it. Only the openai and anthropic provider tables are
asked: asked without a provider, genai-prices would price a local `llama3.1:8b` (served by
Ollama through the openai provider, and free) at some hosting company's rate. The package
prices from its bundled snapshot; mapforge never starts its network updater.
"""

from __future__ import annotations

from functools import lru_cache

PROVIDER_IDS = ("openai", "anthropic")
# Probe with a small call: a 1M-token probe would hit long-context tiers (claude > 200k).
_PROBE_TOKENS = 1000


@lru_cache(maxsize=512)
def genai_price(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens from genai-prices, or None (absent or unknown)."""
    try:
        from genai_prices import Usage, calc_price
    except ImportError:
        return None
    usage = Usage(input_tokens=_PROBE_TOKENS, output_tokens=_PROBE_TOKENS)
    for provider in PROVIDER_IDS:
        try:
            calc = calc_price(usage, model, provider_id=provider)
        except LookupError:
            continue
        scale = 1_000_000 / _PROBE_TOKENS
        return float(calc.input_price) * scale, float(calc.output_price) * scale
    return None
