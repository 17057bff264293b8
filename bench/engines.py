"""The retail pipeline on every available engine: seconds per engine, and whether they agree.

    python bench/engines.py [--scale 1.0] [--json]

Each engine is one entry of ENGINES: a name and a function that prepares the engine's
target in the project (and returns the `--target` name, None for the default DuckDB). An
engine whose prerequisites are missing is left out and listed under `skipped`. `seconds`
time `mapforge run` only (plan and data loading excluded); `equal` compares every target
table across engines as multisets of normalized rows.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the throwaway cluster and the loaders live there

from retail_project import normalized_rows, prepare  # noqa: E402

from mapforge import api  # noqa: E402
from mapforge.project import open_project  # noqa: E402

Setup = Callable[[ExitStack, Path], str | None]


def _duckdb(stack: ExitStack, directory: Path) -> str | None:
    return None  # the project's default engine


def _postgres(stack: ExitStack, directory: Path) -> str | None:
    from pg_cluster import PgCluster
    from retail_project import copy_to_postgres, declare_target

    cluster = stack.enter_context(PgCluster())
    copy_to_postgres(directory / "warehouse.duckdb", cluster.url, "retail")
    declare_target(directory / "mapforge.yml", cluster.url, "retail")
    api_plan(directory, "pg")
    return "pg"


def _spark(stack: ExitStack, directory: Path) -> str | None:
    """Spark in local mode, its catalog in a Derby metastore under the project.

    Every `open_project` opens (and on close stops) its own SparkSession, so the sources
    the loader registers must outlive the loader's session: a Hive catalog does that.
    """
    from retail_project import SOURCES
    from spark_load import copy_tables, declare_target, spark_target

    declare_target(
        directory / "mapforge.yml", "spark", spark_target(directory, "retail", hive=True)
    )
    with open_project(directory) as project:
        engine = project.engine("spark")
        copy_tables(directory / "warehouse.duckdb", engine, SOURCES, directory / "spark-sources")
    api_plan(directory, "spark")
    return "spark"


# Adding an engine is one entry here: name -> setup.
ENGINES: dict[str, Setup] = {"duckdb": _duckdb, "postgres": _postgres, "spark": _spark}


def api_plan(directory: Path, target: str) -> None:
    with open_project(directory) as project:
        result = api.plan(project, target=target)
    if not result.ok:
        errors = [(t.name, t.error) for t in result.targets if t.error]
        findings = [
            (name, f"{f['code']} {f['message']}")
            for name, entry in sorted(result.lock.targets.items())
            for f in entry.findings[:1]
        ]
        raise RuntimeError(f"plan --target {target} failed: {errors or findings}")


def _timed_run(directory: Path, target: str | None) -> float:
    with open_project(directory) as project:
        started = time.perf_counter()
        result = api.run(project, target=target)
        elapsed = time.perf_counter() - started
    if not result.ok:
        failed = [(r.name, r.message) for r in result.results if not r.ok]
        raise RuntimeError(f"run on {target or 'duckdb'} failed: {failed}")
    return elapsed


def _tables(
    directory: Path, target: str | None, names: list[str]
) -> dict[str, list[tuple[Any, ...]]]:
    with open_project(directory) as project:
        engine = project.engine(target)
        return {name: normalized_rows(engine, name) for name in names}


@contextmanager
def _workdir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="mapforge-bench-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def bench(scale: float) -> dict[str, Any]:
    """Run the example on each engine; figures as a dict."""
    seconds: dict[str, float] = {}
    skipped: dict[str, str] = {}
    tables: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
    with _workdir() as directory, ExitStack() as stack:
        prepare(directory, scale=scale)
        with open_project(directory) as project:
            names = sorted(t.name for t in project.spec.targets)
        for name, setup in ENGINES.items():
            try:
                target = setup(stack, directory)
            except Exception as exc:  # a missing server or driver: measure the others
                skipped[name] = f"{type(exc).__name__}: {exc}"[:200]
                continue
            seconds[name] = round(_timed_run(directory, target), 3)
            tables[name] = _tables(directory, target, names)
    results = list(tables.values())
    return {
        "engines": list(seconds),
        "scale": scale,
        "seconds": seconds,
        "equal": len(results) > 1 and all(r == results[0] for r in results[1:]),
        "skipped": skipped,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    figures = bench(args.scale)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"engines  {', '.join(figures['engines'])}  (scale {figures['scale']})")
        for name, secs in figures["seconds"].items():
            print(f"seconds  {name:10} {secs:8.3f}")
        print(f"equal    {figures['equal']}")
        for name, why in figures["skipped"].items():
            print(f"skipped  {name:10} {why}")
    return 0 if figures["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
