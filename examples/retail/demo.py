"""`make demo`: build the retail warehouse from the committed lock — no model, no network.

1. generate the source tables (deterministic) into examples/retail/warehouse.duckdb
2. `mapforge check`  — the mapping against the live catalog
3. `mapforge run`    — every target from mapforge.lock, in dependency order, with its tests
4. print the first rows of each target
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_data import build_sources  # noqa: E402


def mapforge(*args: str) -> None:
    print(f"\n$ mapforge {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "mapforge", *args, "--project-dir", str(HERE)], check=False)
    if done.returncode != 0:
        sys.exit(done.returncode)


def show_targets(db: Path, targets: list[str]) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        for name in targets:
            print(f"\n{name}")
            con.sql(f'SELECT * FROM "{name}" ORDER BY ALL LIMIT 5').show()


def main() -> None:
    db = HERE / "warehouse.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    build_sources(db)
    print(f"built the source tables in {db.relative_to(HERE.parent.parent)}")
    mapforge("check")
    mapforge("run")
    import yaml

    lock = yaml.safe_load((HERE / "mapforge.lock").read_text())
    show_targets(db, sorted(lock["targets"]))


if __name__ == "__main__":
    main()
