"""Building backends from one frozen config, and the CLI options that make the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.graphs.cli.shared import backend_config_from_options
from factloom.ingest.workspace import Workspace
from factloom.tools.errors import BackendConfigError
from factloom.tools.llm.cache import CachedLLM
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import make_llm
from factloom.tools.llm.openai_backend import OpenAIBackend


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "openai"}, "needs --base-url and --model"),
        ({"backend": "vllm"}, "needs --model"),
        ({"backend": "gpt"}, "unknown backend 'gpt'"),
        ({"concurrency": 0}, "at least 1"),
    ],
)
def test_options_that_do_not_fit_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(BackendConfigError, match=message):
        BackendConfig(**options)  # type: ignore[arg-type]


def test_make_llm_wraps_the_backend_in_the_workspace_cache(tmp_path: Path) -> None:
    config = BackendConfig(backend="openai", base_url="http://127.0.0.1:9/v1", model="m", no_cache=True)
    assert isinstance(make_llm(config), OpenAIBackend)
    with Workspace(tmp_path / "ws") as ws:
        llm = make_llm(config, ws)
        assert isinstance(llm, CachedLLM) and llm.no_cache and llm.name == "openai:m"


def test_the_api_key_comes_from_the_variable_named_by_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTLOOM_TEST_KEY", "sk-123")
    config = backend_config_from_options(
        backend="openai", base_url="http://h/v1", model="m", api_key_env="FACTLOOM_TEST_KEY"
    )
    assert config.api_key == "sk-123" and config.concurrency == 64


def test_an_unset_key_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACTLOOM_TEST_KEY", raising=False)
    with pytest.raises(BackendConfigError, match="FACTLOOM_TEST_KEY: that environment variable is not set"):
        backend_config_from_options(
            backend="openai", base_url="u", model="m", api_key_env="FACTLOOM_TEST_KEY"
        )
