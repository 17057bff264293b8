"""A mapforge project on disk: mapforge.yml, mapping documents, overrides, the lock, .mapforge/."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from mapforge.config import ProjectConfig, load_config
from mapforge.engines import Engine, open_engine
from mapforge.errors import ConfigError
from mapforge.mapping.spec import Spec

STATE_DIR = ".mapforge"
OVERRIDES_DIR = "overrides"


@dataclass
class Project:
    dir: Path
    config: ProjectConfig
    sheet: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _engine_target: str | None = field(default=None, repr=False)

    @property
    def state_dir(self) -> Path:
        path = self.dir / STATE_DIR
        path.mkdir(exist_ok=True)
        return path

    def mapping_files(self) -> list[Path]:
        files: list[Path] = []
        for pattern in self.config.mappings:
            matched = sorted(
                p for p in self.dir.glob(pattern) if p.is_file() and not p.name.startswith("~$")
            )
            files += [p for p in matched if p not in files]
        if not files:
            raise ConfigError(
                f"no mapping documents match {self.config.mappings} in {self.dir}",
                hint="put .xlsx/.csv/.yaml files under mappings/ or set `mappings:` in mapforge.yml",
            )
        return files

    @cached_property
    def spec(self) -> Spec:
        from mapforge.mapping.load import load_spec

        return load_spec(
            self.mapping_files(), sheet=self.sheet or self.config.sheet, base_dir=self.dir
        )

    def override(self, target: str) -> str | None:
        path = self.dir / OVERRIDES_DIR / f"{target}.sql"
        return path.read_text() if path.exists() else None

    def engine(self, target: str | None = None) -> Engine:
        """The engine of `target` (None: mapforge.yml's default); one is open at a time."""
        name = None if self.config.is_default(target) else target
        if self._engine is None or self._engine_target != name:
            self.close()
            cfg = self.config.engine if name is None else self.config.engine_for(name)
            # not self.state_dir: opening an engine should not create .mapforge/
            self._engine = open_engine(cfg, self.dir, self.dir / STATE_DIR)
            self._engine_target = name
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_project(
    directory: Path, *, sheet: str | None = None, env: dict[str, str] | None = None
) -> Project:
    directory = directory.resolve()
    if not directory.is_dir():
        raise ConfigError(f"project directory {directory} does not exist")
    return Project(dir=directory, config=load_config(directory, env), sheet=sheet)
