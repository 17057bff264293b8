"""Docs that cannot rot: every CLI command and option a newcomer meets is in the README."""

from pathlib import Path

import pytest
import typer.main

from mapforge.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"mapforge {name}" in README


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_the_readme(name: str) -> None:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    missing = [
        opt
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt not in ("--help",) and opt not in README
    ]
    assert not missing, f"mapforge {name}: {missing} not documented in README.md"


def test_the_quick_start_is_exactly_make_demo_then_make_test() -> None:
    assert "```\nmake demo\nmake test\n```" in README
