"""Catch null and duplicate merge keys in an increment before anything is merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from mapforge.engines.base import Engine
from mapforge.errors import PipelineError
from mapforge.pipeline.materialize.sql import col, render, table
from mapforge.pipeline.proof import fingerprint
from mapforge.quality.builders import key_summary


@dataclass(frozen=True)
class StageKeys:
    """What the key check learned of a stage: its rows, and its key fingerprint if hashed."""

    rows: int
    fingerprint: str | None = None  # `count:xor`, as pipeline/proof.py computes for tables


def check_keys(
    engine: Engine, target: str, key: Sequence[str], stage: str, *, proved: bool = False
) -> StageKeys:
    """Raise PipelineError naming target, key and a sample when a key is null or repeated.

    Where the engine has a key hash, one scan of the stage answers all three questions
    (rows, keys sound, fingerprint); only a stage that fails it runs the exact queries, which
    name a sample (or clear a hash collision). Elsewhere the exact queries always run.
    `proved`: the keys are unique and not null by construction (Build.increment_keys_proved),
    so the stage is only counted and fingerprinted.
    """
    if not key:
        raise PipelineError(
            f"{target}: an incremental or scd2 load needs a key",
            hint="mark its key columns in the mapping",
        )
    if proved:
        counted = fingerprint(engine, stage, key)
        if counted is None:
            return StageKeys(engine.row_count(stage))
        return StageKeys(int(counted.split(":")[0]), counted)
    summary = key_summary(stage, key, dialect=engine.dialect)
    if summary is None:
        _exact(engine, target, key, stage)
        return StageKeys(engine.row_count(stage))
    rows, failing, xor = engine.query(summary).rows[0]
    if failing:
        _exact(engine, target, key, stage)
    return StageKeys(int(rows), f"{int(rows)}:{int(xor)}")


def _exact(engine: Engine, target: str, key: Sequence[str], stage: str) -> None:
    null = exp.or_(*(col(k).is_(exp.null()) for k in key))
    sample = _first(
        engine, exp.select(*(col(k) for k in key)).from_(table(stage)).where(null).limit(1)
    )
    if sample is not None:
        raise PipelineError(
            f"{target}: key {_show(key, sample)} has a null in the increment", hint=_HINT
        )
    count = exp.Count(this=exp.Star())
    repeated = (
        exp.select(*(col(k) for k in key)).from_(table(stage)).group_by(*(col(k) for k in key))
    )
    sample = _first(
        engine, repeated.having(exp.GT(this=count, expression=exp.Literal.number(1))).limit(1)
    )
    if sample is not None:
        raise PipelineError(
            f"{target}: key {_show(key, sample)} appears more than once in the increment",
            hint=_HINT,
        )


_HINT = "fix the source rows or the key columns in the mapping; the table was left unchanged"


def _first(engine: Engine, query: exp.Expression) -> tuple[Any, ...] | None:
    rows = engine.query(render(query, engine)).rows
    return rows[0] if rows else None


def _show(key: Sequence[str], sample: tuple[Any, ...]) -> str:
    pairs = ", ".join(f"{k}={v!r}" for k, v in zip(key, sample, strict=True))
    return f"({', '.join(key)}), e.g. ({pairs})"
