"""The one-way flow of DESIGN.md, enforced: each package imports only what it may."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mapforge"
# leaf modules every package may use: the error tree, configuration, sqlite migrations
SHARED = {"errors", "config", "migrations", "tokens", "__version__"}
ALLOWED: dict[str, set[str]] = {
    "mapping": set(),
    "catalog": {"mapping"},
    "engines": {"catalog"},
    "llm": set(),
    "privacy": set(),
    "quality": {"engines"},
    "validate": {"mapping", "catalog", "engines"},
    # generate writes lock entries and masks samples before they reach a prompt
    "generate": {"mapping", "catalog", "llm", "validate", "engines", "lock", "privacy"},
    "lock": {"mapping"},
    "pipeline": {"lock", "engines", "quality", "mapping", "catalog"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mapforge."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "mapforge":
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("mapforge."))
    return names


def _files(package: str) -> list[Path]:
    single = SRC / f"{package}.py"
    return [single] if single.exists() else sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_design_allows(package: str) -> None:
    bad = {
        f"{path.relative_to(SRC)} imports mapforge.{name}"
        for path in _files(package)
        for name in _imports(path) - SHARED - ALLOWED[package] - {package}
    }
    assert not bad, sorted(bad)


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from mapforge.pipeline.runner import Runner\nimport mapforge.llm.gateway\n")
    assert _imports(module) == {"pipeline", "llm"}
