"""run_results.json, shaped like dbt's: metadata with a schema version, one result per target."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from mapforge import __version__

RUN_RESULTS_SCHEMA = "https://mapforge.dev/schemas/run-results/v1.json"


class RunStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"  # the statement failed; the previous table is intact
    FAIL = "fail"  # built, but an error-severity test failed
    WARN = "warn"  # built, a warn-severity test failed
    SKIPPED = "skipped"  # an upstream target did not succeed


@dataclass
class Timing:
    name: str  # execute | test
    started_at: str
    completed_at: str


@dataclass
class TargetResult:
    name: str
    status: RunStatus
    rows: int | None = None
    failures: int = 0
    message: str = ""
    execution_time: float = 0.0
    timing: list[Timing] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (RunStatus.SUCCESS, RunStatus.WARN)


@dataclass
class RunResult:
    results: list[TargetResult]
    elapsed_time: float
    invocation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    generated_at: str = field(default_factory=lambda: now())
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "metadata": {
                "schema_version": RUN_RESULTS_SCHEMA,
                "mapforge_version": __version__,
                "generated_at": self.generated_at,
                "invocation_id": self.invocation_id,
            },
            "results": [_result_json(r) for r in self.results],
            "elapsed_time": round(self.elapsed_time, 4),
            "args": self.args,
        }

    def write(self, state_dir: Path) -> Path:
        path = state_dir / "run_results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")
        tmp.replace(path)
        return path


def _result_json(result: TargetResult) -> dict[str, Any]:
    data = asdict(result)
    data["unique_id"] = f"target.{result.name}"
    data["status"] = str(result.status)
    data["execution_time"] = round(result.execution_time, 4)
    data["adapter_response"] = {"rows_affected": result.rows}
    return data


def now() -> str:
    return datetime.now(UTC).isoformat()
