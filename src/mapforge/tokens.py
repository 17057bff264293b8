"""Token estimates: ~4 characters a token.

Used where a count is needed before (or without) a tokenizer: fitting a schema slice into
`llm.max_prompt_tokens`, budget checks, `plan --estimate`, and the fake server's usage. Good
enough for budgets; billing uses the usage the provider reports.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Estimated tokens of `text`: characters / 4, rounded up (0 for empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)
