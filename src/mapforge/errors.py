"""The one error hierarchy of mapforge.

    MapforgeError
     ├── MappingError       a mapping document is wrong (file, sheet, row, column, hint)
     ├── ConfigError        mapforge.yml or an environment variable is wrong
     ├── CatalogError       an unknown table/column or unreadable metadata
     ├── GenerationError    the model could not produce usable SQL
     ├── EngineError        the database refused a statement
     ├── LockError          mapforge.lock is missing, stale or unreadable
     ├── ProviderError      the model endpoint failed (after retries)
     │    └── BudgetExceeded  a call would pass the configured budget
     └── PipelineError      a run could not start (cycle, concurrent run, ...)

User mistakes are subclasses of MapforgeError; the CLI prints them without a traceback
and exits 2. Anything else is a bug and is allowed to traceback.
"""

from __future__ import annotations


class MapforgeError(Exception):
    """Root of every error mapforge raises on purpose."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class MappingError(MapforgeError):
    """A mapping document is wrong; carries where, so the user can fix the cell."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
        self.detail = message
        super().__init__(self._locate(message), hint)

    def _locate(self, message: str) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return f"{', '.join(parts)}: {message}" if parts else message


class ConfigError(MapforgeError):
    """mapforge.yml, a CLI option or a MAPFORGE_* variable is wrong."""


class CatalogError(MapforgeError):
    """A table or column is unknown, or metadata could not be read."""


class GenerationError(MapforgeError):
    """The model did not return usable SQL."""


class EngineError(MapforgeError):
    """The database refused a statement."""


class LockError(MapforgeError):
    """mapforge.lock is missing, unreadable or out of date."""


class ProviderError(MapforgeError):
    """The model endpoint failed, after retries where retrying made sense."""


class BudgetExceeded(ProviderError):
    """A model call would pass the configured budget."""


class PipelineError(MapforgeError):
    """A run cannot start or continue: a cycle, a concurrent run, a missing lock entry."""
