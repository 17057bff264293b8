"""mapforge.yml: the project's configuration, with ${ENV} interpolation and MAPFORGE_* overrides."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapforge.errors import ConfigError

CONFIG_FILE = "mapforge.yml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = "duckdb"
    path: str = "warehouse.duckdb"


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = "openai"
    base_url: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    model: str = "gpt-4o-mini"
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float = 60.0
    max_retries: int = 4
    max_repairs: int = 2
    max_prompt_tokens: int = 8000
    # gateway: requests/second (None = unlimited), parallel calls, spend cap per run (USD),
    # cache lifetime (None = forever), price overrides {model: [in, out] USD per 1M tokens}
    rps: float | None = None
    max_concurrency: int = 4
    budget_usd: float | None = None
    cache_ttl_s: float | None = None
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    send_samples: bool = False


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "mapforge-project"
    mappings: list[str] = Field(default_factory=lambda: ["mappings/*"])
    sheet: str | None = None
    engine: EngineConfig = Field(default_factory=EngineConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)


# MAPFORGE_LLM_BASE_URL -> ("llm", "base_url"); one table so every option has its variable.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    f"MAPFORGE_{section.upper()}_{field.upper()}": (section, field)
    for section, model in (("llm", LLMConfig), ("engine", EngineConfig), ("privacy", PrivacyConfig))
    for field in model.model_fields
}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Replace ${VAR} and ${VAR:-default} in every string of a parsed YAML tree."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: _env_value(m, env), value)
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    return value


def _env_value(match: re.Match[str], env: dict[str, str]) -> str:
    name, default = match.group(1), match.group(2)
    if name in env:
        return env[name]
    if default is not None:
        return default
    raise ConfigError(
        f"{CONFIG_FILE}: environment variable {name} is not set",
        hint=f"export {name}=... or write ${{{name}:-default}}",
    )


def load_config(project_dir: Path, env: dict[str, str] | None = None) -> ProjectConfig:
    """Read mapforge.yml (if any), interpolate ${ENV}, then apply MAPFORGE_* variables."""
    env = dict(os.environ) if env is None else env
    path = project_dir / CONFIG_FILE
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        raw = interpolate(raw, env)
    for var, (section, field) in ENV_OVERRIDES.items():
        if var in env:
            raw.setdefault(section, {})[field] = env[var]
    try:
        return ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}", hint="see README, 'mapforge.yml'") from None
