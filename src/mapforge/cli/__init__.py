"""The `mapforge` command. Each verb lives in a small module that registers itself on `app`."""

from mapforge.cli import project_commands  # noqa: F401  (registers init/check/plan/run)
from mapforge.cli.app import app

__all__ = ["app"]
