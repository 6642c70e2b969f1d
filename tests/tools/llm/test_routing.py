"""The verifier on another model than extraction: calls are routed by agent, and the run is named for both."""

from __future__ import annotations

from pathlib import Path

from factloom.agents.facts import Candidate
from factloom.agents.verifier import VerifierInput, verify
from factloom.tools.llm.config import BackendConfig
from factloom.tools.llm.factory import verifier_config
from factloom.tools.llm.routing import AgentRouter
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, mention, runtime

DOC, CHUNKS = make_document()
C1 = CHUNKS[1]
MARY, PARIS = mention(DOC, C1, "Mary Jones", "person"), mention(DOC, C1, "Paris", "location")
WHY = "Mary Jones lives in Paris"
VERDICT = {"verdicts": [{"fact": 1, "rationale": WHY, "verdict": "supported", "confidence": 0.9}]}


async def test_the_verifier_calls_go_to_the_verifier_model_and_the_rest_to_the_extraction_model() -> None:
    small, large = ScriptedLLM(name="small"), ScriptedLLM({"verifier": VERDICT}, name="large")
    router = AgentRouter(small, {"verifier": large})
    cand = Candidate(head=MARY, type="live_in", tail=PARIS, quote="Mary Jones lives in Paris.")
    out = await verify(VerifierInput(chunk=C1, mentions=[MARY, PARIS], candidates=[cand]), runtime(router))
    assert out["accepted"][0].status == "verified"
    assert [c.tag.agent for c in large.calls] == ["verifier"] and small.calls == []
    assert router.name == "small+verifier=large"  # part of the run version: another split re-runs chunks


def test_the_verifier_model_is_a_gguf_for_the_embedded_backend_and_a_name_for_servers() -> None:
    embedded = verifier_config(BackendConfig(profile="tiny"), "big.gguf")
    assert (embedded.model_path, embedded.profile) == (Path("big.gguf"), None)
    server = BackendConfig(backend="openai", base_url="http://127.0.0.1:1/v1", model="small")
    assert verifier_config(server, "large").model == "large"
