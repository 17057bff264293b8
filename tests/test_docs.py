"""Docs that cannot rot: every CLI command and option a newcomer meets is in the README."""

import re
from pathlib import Path

import pytest
import typer.main

from mapforge.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"mapforge {name}" in README


def _option_bullets() -> dict[str, str]:
    """Command -> the text of its `- `command`: ...` bullet under "Options worth knowing"."""
    found = re.finditer(r"^- `(\w+)`: (.*?)(?=^- `|^\s*$)", README, re.MULTILINE | re.DOTALL)
    return {m.group(1): m.group(2) for m in found}


# "Every command takes `--project-dir/-p` ... and `--json` where it prints results."
SHARED = next(p for p in README.split("\n\n") if p.startswith("Every command takes"))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_documented_under_its_command(name: str) -> None:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    documented = _option_bullets().get(name, "") + SHARED
    missing = [
        opt
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt != "--help" and opt not in documented
    ]
    assert not missing, f"mapforge {name}: {missing} not in its README bullet or the shared ones"


def test_the_quick_start_is_exactly_make_demo_then_make_test() -> None:
    assert "```\nmake demo\nmake test\n```" in README


def test_the_readme_configuration_example_is_a_valid_mapforge_yml(tmp_path: Path) -> None:
    from mapforge.config import load_config

    section = README[README.index("## mapforge.yml") :]
    example = section[
        section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)
    ]
    (tmp_path / "mapforge.yml").write_text(example)
    cfg = load_config(tmp_path, env={"OPENAI_API_KEY": "sk-test"})
    assert (
        cfg.llm.max_repairs == 2 and cfg.validation.sample_rows == 500 and cfg.llm.budget_usd == 5.0
    )


def test_every_readme_engine_example_is_valid(tmp_path: Path) -> None:
    from mapforge.config import load_config

    section = README[README.index("### Engines") :]
    example = section[
        section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)
    ]
    (tmp_path / "mapforge.yml").write_text(example)
    cfg = load_config(tmp_path, env={})
    assert sorted(cfg.targets) == ["dev", "pg", "spark"] and cfg.engine_for("pg").type == "postgres"


def test_every_mapping_column_is_in_the_readme_table() -> None:
    from mapforge.mapping.columns import ALIASES

    table = README[README.index("## The mapping document") : README.index("### Rule grammar")]
    missing = [field for field in ALIASES if f"| `{field}` |" not in table]
    assert not missing, f"mapping columns not documented in README.md: {missing}"
