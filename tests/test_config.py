from pathlib import Path

import pytest

from mapforge.config import load_config
from mapforge.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "mapforge.yml").write_text(text)
    return tmp_path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, env={})
    assert (
        cfg.engine.type == "duckdb"
        and cfg.llm.temperature == 0.0
        and cfg.privacy.send_samples is False
    )


def test_env_interpolation_with_default(tmp_path: Path) -> None:
    _write(tmp_path, "llm:\n  api_key: ${KEY}\n  model: ${MODEL:-small}\n")
    cfg = load_config(tmp_path, env={"KEY": "sk-123"})
    assert cfg.llm.api_key == "sk-123" and cfg.llm.model == "small"


def test_missing_env_variable_names_it(tmp_path: Path) -> None:
    _write(tmp_path, "llm:\n  api_key: ${OPENAI_API_KEY}\n")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        load_config(tmp_path, env={})


def test_mapforge_variables_override_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "llm:\n  base_url: http://file\n  max_repairs: 1\n")
    cfg = load_config(
        tmp_path, env={"MAPFORGE_LLM_BASE_URL": "http://env", "MAPFORGE_LLM_MAX_REPAIRS": "3"}
    )
    assert cfg.llm.base_url == "http://env" and cfg.llm.max_repairs == 3


def test_unknown_key_is_an_error_with_its_path(tmp_path: Path) -> None:
    _write(tmp_path, "llm:\n  modle: x\n")
    with pytest.raises(ConfigError, match=r"llm\.modle"):
        load_config(tmp_path, env={})


def test_api_key_is_not_in_repr(tmp_path: Path) -> None:
    _write(tmp_path, "llm:\n  api_key: sk-secret\n")
    assert "sk-secret" not in repr(load_config(tmp_path, env={}))
