"""Run every benchmark script in bench/ with --json and print their figures (`make bench`).

A script is any bench/*.py except this one, helper modules named `_*.py`, SKIP, and modules
without an `if __name__ == "__main__":` block (data or helpers other scripts import). Each runs in its own process; one that fails is reported, not fatal
to the others, and the exit code is 1 when any failed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SKIP = frozenset({"run_all.py", "catalog_gen.py", "catalog_vocab.py", "paraphrases.py"})  # helpers


def scripts() -> list[Path]:
    """The benchmark scripts, in name order."""
    found = [
        p for p in sorted(HERE.glob("*.py")) if p.name not in SKIP and not p.name.startswith("_")
    ]
    return [p for p in found if '__name__ == "__main__"' in p.read_text()]


def run(script: Path) -> tuple[dict[str, Any] | None, str, float]:
    """(figures, error text, seconds) of one script run with --json."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script), "--json"], capture_output=True, text=True, cwd=HERE.parent
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        return None, (proc.stderr or proc.stdout).strip()[-2000:], seconds
    try:
        return json.loads(proc.stdout), "", seconds
    except ValueError:
        return None, f"--json output is not JSON: {proc.stdout[:300]!r}", seconds


def main() -> int:
    failed = 0
    for script in scripts():
        figures, error, seconds = run(script)
        print(f"== {script.name} ({seconds:.1f}s)")
        if figures is None:
            failed += 1
            print(f"FAILED\n{error}")
        else:
            print(json.dumps(figures, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
