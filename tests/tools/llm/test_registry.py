"""Backends are registered by name: the factory builds whatever the registry holds, and loads only that."""

from __future__ import annotations

import subprocess
import sys

import pytest

from factloom.tools.llm import registry
from factloom.tools.llm.config import BackendConfig, NamedModel
from factloom.tools.llm.factory import make_llm, resolve_profile, verifier_config
from factloom.tools.llm.scripted import ScriptedLLM


class _Echo(NamedModel):
    @classmethod
    def from_config(cls, config: BackendConfig) -> ScriptedLLM:
        return ScriptedLLM(name=f"echo:{config.model}")


def test_a_registered_backend_is_built_by_the_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_registered", dict(registry._registered))
    registry.register("echo")(_Echo)
    assert registry.backend_names()[-1] == "echo"
    config = BackendConfig(backend="echo", model="m")
    assert make_llm(config).name == "echo:m"
    assert resolve_profile(config) == "large" and verifier_config(config, "v").model == "v"


def test_choosing_a_server_backend_never_loads_llama_cpp() -> None:
    code = (
        "import sys\n"
        "from factloom.tools.llm.config import BackendConfig\n"
        "from factloom.tools.llm.factory import make_llm\n"
        "make_llm(BackendConfig(backend='openai', base_url='http://127.0.0.1:9/v1', model='m'))\n"
        "print('llama_cpp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
