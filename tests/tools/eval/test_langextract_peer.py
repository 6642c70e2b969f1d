"""The langextract peer: configured from the schema, its aligned extractions turned into mentions/relations.

langextract itself is outside the project; its ``extract`` is replaced by a stub that returns what the
library returns, so this checks our configuration and parsing only.
"""

from __future__ import annotations

import langextract as lx
import pytest

from factloom.tools.errors import PeerError
from factloom.tools.eval.peer_langextract import RELATION_CLASS, Peer, serve_peer
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.config import BackendConfig

NEWS = load_schema("news")
TEXT = "Ann Lee works for Acme in Boston."
EXAMPLE = (
    "Bo Li works for Dow.",
    [("Bo Li", "person"), ("Dow", "organization")],
    [("Bo Li", "work_for", "Dow")],
)


def _ex(cls: str, start: int | None, end: int | None, **attrs: str) -> lx.data.Extraction:
    text = TEXT[start:end] if start is not None else "?"
    interval = lx.data.CharInterval(start_pos=start, end_pos=end) if start is not None else None
    return lx.data.Extraction(
        extraction_class=cls, extraction_text=text, char_interval=interval, attributes=attrs or None
    )


def test_peer_prompt_and_examples_come_from_the_schema() -> None:
    peer = Peer("http://127.0.0.1:9/v1", "m", NEWS, [EXAMPLE])
    assert "person, organization, location, other" in peer.prompt and "work_for" in peer.prompt
    classes = [e.extraction_class for e in peer.examples[0].extractions]
    assert classes == ["person", "organization", RELATION_CLASS]


def test_aligned_extractions_become_mentions_and_relations(monkeypatch: pytest.MonkeyPatch) -> None:
    peer = Peer("http://127.0.0.1:9/v1", "m", NEWS, [EXAMPLE])
    found = [
        _ex("person", 0, 7),
        _ex("organization", 18, 22),
        _ex("location", None, None),  # not aligned by langextract: skipped
        _ex("weather", 26, 32),  # not a schema class: skipped
        _ex(RELATION_CLASS, 0, 7, type="work_for", tail="Acme"),
    ]
    monkeypatch.setattr(
        peer._lx, "extract", lambda *a, **k: lx.data.AnnotatedDocument(text=TEXT, extractions=found)
    )
    result = peer.extract_sync(TEXT)
    assert [(m.text, m.type) for m in result.mentions] == [("Ann Lee", "person"), ("Acme", "organization")]
    assert [(r.head.text, r.type, r.tail_text) for r in result.relations] == [("Ann Lee", "work_for", "Acme")]


def test_peer_needs_an_openai_compatible_endpoint() -> None:
    with (
        pytest.raises(PeerError, match="embedded or openai"),
        serve_peer(BackendConfig(backend="vllm", model="x"), NEWS),
    ):
        pass
