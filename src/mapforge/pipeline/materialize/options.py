"""Typed load options, read from a target's `config` (parsed by mapping/load_options)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mapforge.mapping.load_options import split_columns


@dataclass(frozen=True)
class Options:
    watermark: str | None = None  # incremental: read only rows with watermark >= target max
    # incremental: merge | delete+insert; None = the engine's best (see incremental.apply)
    strategy: str | None = None
    # incremental: partition column; on engines with supports_partitions the table is
    # partitioned by it and an apply rewrites only the partitions the increment touches
    partition_by: str | None = None
    track: tuple[str, ...] = ()  # scd2: change-detection columns; empty = every non-key column
    hard_deletes: str = "ignore"  # scd2: ignore | close
    valid_from: str | None = None  # scd2: column giving valid_from; None = the run's as-of

    @classmethod
    def from_config(cls, config: Mapping[str, str]) -> Options:
        """Options from a Target.config dict; missing keys take their defaults."""
        return cls(
            watermark=config.get("watermark") or None,
            strategy=config.get("strategy") or None,
            partition_by=config.get("partition_by") or None,
            track=tuple(split_columns(config.get("track", ""))),
            hard_deletes=config.get("hard_deletes", "ignore"),
            valid_from=config.get("valid_from") or None,
        )
