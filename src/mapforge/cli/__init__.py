"""The `mapforge` command. Each verb lives in a small module that registers itself on `app`."""

from mapforge.cli import (
    ask_command,  # noqa: F401  (registers ask)
    cost_command,  # noqa: F401  (registers cost)
    project_commands,  # noqa: F401  (registers init/check/plan/run)
    report_command,  # noqa: F401  (registers report)
    test_command,  # noqa: F401  (registers test)
)
from mapforge.cli.app import app

__all__ = ["app"]
