"""Mutation benchmark: how many wrong statements does mapforge's validation reject?

    python bench/mutations.py [--json] [--per-operator N]

Two projects are built in a temp dir and planned (compiled targets compile, free-text ones
take their hand-written SQL), then run so upstream targets exist: examples/retail and
bench/projects/logistics (22 targets). From each target's correct SQL, the operators of
bench/_mutants.py make mutants. A mutant whose output on the full data equals the original's
(same columns, same rows in any order; or both fail) is equivalent and left out. Every other
mutant goes through the planner's own validation — static `validate_sql`, EXPLAIN, sample
run — and counts as caught statically (an error finding outside MF5xx), dynamically (only
MF5xx errors) or missed. `false_positives` counts error findings on the unmutated SQL.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
FULL_RUN_TIMEOUT_S = 20.0  # a mutant still running on the full data after this counts as failing

from _mutants import OPERATORS  # noqa: E402

from mapforge import api  # noqa: E402
from mapforge.catalog.compose import planning_catalog  # noqa: E402
from mapforge.errors import EngineError  # noqa: E402
from mapforge.generate.expected import sampler  # noqa: E402
from mapforge.generate.planner import Planner  # noqa: E402
from mapforge.lock import Lock  # noqa: E402
from mapforge.project import Project, open_project  # noqa: E402
from mapforge.validate.findings import Finding, Severity  # noqa: E402


@dataclass
class Tally:
    mutants: int = 0
    equivalent: int = 0
    static: int = 0
    dynamic: int = 0
    missed: list[str] = field(default_factory=list)

    @property
    def live(self) -> int:
        return self.mutants - self.equivalent


def _project(name: str, workdir: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    """Copy a project's mapping into `workdir`, build its sources; return it and its manual SQL."""
    target = workdir / name
    if name == "retail":
        source, sql_dir = ROOT / "examples" / "retail", ROOT / "examples" / "retail" / "reference"
        builder = source / "generate_data.py"
    else:
        source, sql_dir = HERE / "projects" / name, HERE / "projects" / name / "sql"
        builder = source / "generate.py"
    target.mkdir()
    shutil.copy(source / "mapforge.yml", target / "mapforge.yml")
    shutil.copytree(source / "mappings", target / "mappings")
    sys.path.insert(0, str(source))
    module = __import__(builder.stem)
    module.build_sources(target / "warehouse.duckdb")
    sys.path.remove(str(source))
    manual = {p.stem: ("bench", p.read_text()) for p in sorted(sql_dir.glob("*.sql"))}
    return target, manual


def _fingerprint(project: Project, sql: str) -> tuple[Any, ...]:
    """Columns and an order-independent multiset of rows of `sql` on the full data, or its error."""
    tree = sqlglot.parse(sql, read="duckdb")
    if len(tree) != 1 or not isinstance(tree[0], sqlglot.exp.Query):
        return ("not a query", sql)  # never executed: it would write
    engine = project.engine()
    body = sql.strip().rstrip(";")
    # summed row hashes, computed in the database: a cross-join mutant has millions of rows
    timer = threading.Timer(FULL_RUN_TIMEOUT_S, engine.interrupt)  # type: ignore[attr-defined]
    timer.start()
    try:
        columns = engine.query(f"SELECT * FROM (\n{body}\n) AS q LIMIT 0").columns
        rows = engine.query(f"SELECT count(*), sum(hash(q)::HUGEINT) FROM (\n{body}\n) AS q").rows[
            0
        ]
    except EngineError as exc:
        return ("error", exc.message.split("[sql:")[0])
    finally:
        timer.cancel()
    return (tuple(c.lower() for c in columns), rows)


def _caught(findings: list[Finding]) -> str | None:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not errors:
        return None
    return "dynamic" if all(f.code.startswith("MF5") for f in errors) else "static"


def bench_project(
    name: str, workdir: Path, per_operator: int, tallies: dict[str, Tally]
) -> tuple[int, int, list[str]]:
    path, manual = _project(name, workdir)
    with open_project(path) as project:
        api.plan(project, manual_sql=manual)
        api.run(project)  # upstream targets exist: mutants of their readers can run
        engine = project.engine()
        catalog = planning_catalog(engine.catalog(), project.spec)
        planner = Planner(
            spec=project.spec,
            catalog=catalog,
            lock=Lock(),
            dialect=engine.dialect,
            explain=engine.explain,
            sample=sampler(engine, catalog),
        )
        lock = api.lockfile.read(project.dir)

        def columns_of(table: str) -> list[tuple[str, str]]:
            found = catalog.table(table)
            return [(c.name, c.type) for c in found.columns] if found else []

        false_positives, originals = 0, 0
        fp_notes: list[str] = []
        for target in project.spec.targets:
            sql = lock.targets[target.name].sql or ""
            originals += 1
            errors = [f for f in planner.validate(sql, target) if f.severity is Severity.ERROR]
            false_positives += len(errors)
            fp_notes += [f"{name}.{target.name}: {f}" for f in errors]
            _mutate(project, planner, target, sql, per_operator, columns_of, tallies, name)
    return originals, false_positives, fp_notes


def _mutate(
    project: Project,
    planner: Planner,
    target: Any,
    sql: str,
    per_operator: int,
    columns_of: Any,
    tallies: dict[str, Tally],
    name: str,
) -> None:
    tree = sqlglot.parse_one(sql, read="duckdb")
    original = _fingerprint(project, sql)
    for op_name, operator in OPERATORS.items():
        tally = tallies.setdefault(op_name, Tally())
        seen: set[str] = set()
        for mutant in operator(tree, columns_of):
            if mutant in seen or len(seen) >= per_operator:
                continue
            seen.add(mutant)
            tally.mutants += 1
            if _fingerprint(project, mutant) == original:
                tally.equivalent += 1
                continue
            kind = _caught(planner.validate(mutant, target))
            if kind == "static":
                tally.static += 1
            elif kind == "dynamic":
                tally.dynamic += 1
            else:
                tally.missed.append(f"{name}.{target.name}: {' '.join(mutant.split())[:160]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--per-operator", type=int, default=8, help="mutants per operator and target (default 8)"
    )
    parser.add_argument(
        "--show-missed", action="store_true", help="list the mutants no check caught"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tallies: dict[str, Tally] = {}
    originals, false_positives, notes = 0, 0, []
    with tempfile.TemporaryDirectory(prefix="mapforge-mutations-") as tmp:
        for name in ("retail", "logistics"):
            o, fp, n = bench_project(name, Path(tmp), args.per_operator, tallies)
            originals, false_positives, notes = originals + o, false_positives + fp, notes + n
    report = _report(tallies, originals, false_positives, notes, time.perf_counter() - started)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report, tallies, args.show_missed)
    return 0


def _report(
    tallies: dict[str, Tally],
    originals: int,
    false_positives: int,
    notes: list[str],
    seconds: float,
) -> dict[str, Any]:
    live = sum(t.live for t in tallies.values())
    caught = sum(t.static + t.dynamic for t in tallies.values())
    return {
        "catch_rate": round(caught / live, 4) if live else None,
        "false_positives": false_positives,
        "false_positive_findings": notes,
        "targets": originals,
        "mutants": sum(t.mutants for t in tallies.values()),
        "equivalent": sum(t.equivalent for t in tallies.values()),
        "caught_static": sum(t.static for t in tallies.values()),
        "caught_dynamic": sum(t.dynamic for t in tallies.values()),
        "missed": sum(len(t.missed) for t in tallies.values()),
        "seconds": round(seconds, 1),
        "per_operator": {
            name: {"mutants": t.mutants, "equivalent": t.equivalent, "static": t.static, "dynamic": t.dynamic, "missed": len(t.missed),
                   "catch_rate": round((t.static + t.dynamic) / t.live, 4) if t.live else None}
            for name, t in tallies.items()
        },
    }  # fmt: skip


def _print(report: dict[str, Any], tallies: dict[str, Tally], show_missed: bool) -> None:
    print(
        f"{'operator':22} {'mutants':>7} {'equiv':>6} {'static':>6} {'dynamic':>7} {'missed':>6} {'catch':>6}"
    )
    for name, row in report["per_operator"].items():
        rate = "-" if row["catch_rate"] is None else f"{row['catch_rate']:.2f}"
        print(
            f"{name:22} {row['mutants']:>7} {row['equivalent']:>6} {row['static']:>6} {row['dynamic']:>7} {row['missed']:>6} {rate:>6}"
        )
    print(f"\n{report['targets']} targets, {report['mutants']} mutants ({report['equivalent']} equivalent): "
          f"catch rate {report['catch_rate']}, false positives {report['false_positives']}, {report['seconds']}s")  # fmt: skip
    for note in report["false_positive_findings"]:
        print(f"  false positive: {note}")
    if show_missed:
        for name, tally in tallies.items():
            for missed in tally.missed:
                print(f"  missed {name}: {missed}")


if __name__ == "__main__":
    sys.exit(main())
