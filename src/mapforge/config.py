"""mapforge.yml: the project's configuration, with ${ENV} interpolation and MAPFORGE_* overrides."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mapforge.errors import ConfigError

CONFIG_FILE = "mapforge.yml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class EngineConfig(BaseModel):
    """One database: `type` picks the engine module; the other keys are that engine's options.

    duckdb reads `path`; postgres reads `url` (postgresql://user@host:port/db, no password:
    libpq takes it from PGPASSWORD or ~/.pgpass) and `schema` (default `public`); spark reads
    `master`, `warehouse`, `spark_conf` and `schema` (the database, default `default`).
    """

    # `schema` would shadow BaseModel.schema(), which pydantic warns about, hence the alias
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    type: str = "duckdb"
    path: str = "warehouse.duckdb"
    url: str | None = None
    db_schema: str | None = Field(default=None, alias="schema")
    # spark: `master` is local[N], spark://host:7077 or a Spark Connect URL sc://host:15002;
    # `warehouse` is spark.sql.warehouse.dir; `spark_conf` any other Spark settings
    # (MAPFORGE_ENGINE_SPARK_CONF takes them as a JSON object). `schema` is the database.
    master: str = "local[2]"
    warehouse: str | None = None
    spark_conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("spark_conf", mode="before")
    @classmethod
    def _conf_from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


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
    budget_usd_per_day: float | None = None  # over every command, UTC day, from the ledger
    cache_ttl_s: float | None = None
    prices: dict[str, tuple[float, float]] = Field(default_factory=dict)


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    send_samples: bool = False  # prompts carry metadata only unless this is true
    samples_per_column: int = 3
    mode: Literal["mask", "pseudonymize"] = "mask"  # what happens to sensitive sample values
    # HMAC key of pseudonyms; unset: derived from the project name (stable but guessable)
    pseudonym_key: str | None = Field(default=None, repr=False)


class ValidateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # dynamic validation: rows sampled per source table, and the sample run's time budget
    sample_rows: int = 500
    timeout_s: float = 10.0


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = "mapforge-project"
    mappings: list[str] = Field(default_factory=lambda: ["mappings/*"])
    sheet: str | None = None
    engine: EngineConfig = Field(default_factory=EngineConfig)
    # named engines for `mapforge plan --target NAME`; `engine: NAME` makes one the default
    targets: dict[str, EngineConfig] = Field(default_factory=dict)
    default_target: str | None = None  # set from `engine: NAME`, never written by hand
    llm: LLMConfig = Field(default_factory=LLMConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    # `validate:` in mapforge.yml; the attribute is renamed because BaseModel.validate exists
    validation: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")

    def engine_for(self, target: str | None) -> EngineConfig:
        """The engine of a named target, or the default engine for None."""
        if target is None or target == self.default_target:
            return self.engine
        if target not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none declared"
            raise ConfigError(f"{CONFIG_FILE}: unknown target {target!r}", hint=f"targets: {known}")
        return self.targets[target]

    def is_default(self, target: str | None) -> bool:
        """Whether `target` names the default engine (whose lock is mapforge.lock)."""
        return target is None or target == self.default_target


def _env_names(model: type[BaseModel]) -> list[str]:
    # an aliased field is set by its alias (EngineConfig.db_schema is `schema`)
    return [info.alias or name for name, info in model.model_fields.items()]


# MAPFORGE_LLM_BASE_URL -> ("llm", "base_url"); one table so every option has its variable.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    f"MAPFORGE_{section.upper()}_{field.upper()}": (section, field)
    for section, model in (
        ("llm", LLMConfig),
        ("engine", EngineConfig),
        ("privacy", PrivacyConfig),
        ("validate", ValidateConfig),
    )
    for field in _env_names(model)
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
    raw = _resolve_default_target(raw, path)
    for var, (section, field) in ENV_OVERRIDES.items():
        if var in env:
            raw.setdefault(section, {})[field] = env[var]
    try:
        return ProjectConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"{path}: {where}: {first['msg']}", hint="see README, 'mapforge.yml'"
        ) from None


def _resolve_default_target(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """`engine: pg` means "the engine declared as targets.pg"; inline `engine: {...}` stays."""
    name = raw.get("engine")
    if not isinstance(name, str):
        return raw
    targets = raw.get("targets") or {}
    if not isinstance(targets, dict) or not isinstance(targets.get(name), dict):
        raise ConfigError(
            f"{path}: engine: {name!r} is not one of `targets:`",
            hint="declare it under targets: or write the engine inline",
        )
    return {**raw, "engine": dict(targets[name]), "default_target": name}
