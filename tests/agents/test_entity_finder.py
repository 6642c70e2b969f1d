"""The entity finder called directly: grounding to document offsets, schema checks, drop counts."""

from __future__ import annotations

from factloom.agents.entity_finder import EntityFinderInput, build_messages, find_entities
from factloom.tools.extraction.schema import load_schema
from factloom.tools.llm.base import Message
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, runtime

DOC, CHUNKS = make_document()


def _answer(*items: tuple[str, str]) -> dict:
    return {"entities": [{"text": t, "type": ty} for t, ty in items]}


async def test_mentions_carry_document_offsets_that_reproduce_their_text() -> None:
    llm = ScriptedLLM({"entity_finder": _answer(("ACME", "organization"), ("boston", "location"))})
    chunk = CHUNKS[2]  # "ACME is based in Boston, a city in Massachusetts."
    out = await find_entities(EntityFinderInput(chunk=chunk, pages=DOC.pages), runtime(llm))
    assert [m.text for m in out["mentions"]] == ["ACME", "Boston"]
    for m in out["mentions"]:
        assert DOC.text[m.start : m.end] == m.text
        assert m.chunk_id == chunk.chunk_id and m.page == 1
    assert out["drops"] == {}


async def test_every_occurrence_in_the_chunk_becomes_a_mention() -> None:
    llm = ScriptedLLM({"entity_finder": _answer(("Paris", "location"))})
    out = await find_entities(EntityFinderInput(chunk=CHUNKS[1], pages=DOC.pages), runtime(llm))
    assert len(out["mentions"]) == 2
    assert len({m.mention_id for m in out["mentions"]}) == 2


async def test_ungrounded_and_off_schema_mentions_are_dropped_and_counted() -> None:
    answer = _answer(("Mary Jones", "person"), ("Napoleon Bonaparte", "person"), ("Paris", "city"))
    llm = ScriptedLLM({"entity_finder": lambda _m, _o: answer})
    ctx = runtime(llm, schema="open")
    out = await find_entities(EntityFinderInput(chunk=CHUNKS[1], pages=DOC.pages), ctx)
    assert {m.text for m in out["mentions"]} == {"Mary Jones", "Paris"}
    assert out["drops"] == {"mention_grounding": 1}
    assert {m.type for m in out["mentions"] if m.text == "Paris"} == {"city"}  # open schema keeps new types


async def test_unusable_output_yields_no_mentions_and_is_counted() -> None:
    llm = ScriptedLLM({"entity_finder": {"entities": [{"text": "Paris", "type": "spaceship"}]}})
    out = await find_entities(EntityFinderInput(chunk=CHUNKS[1], pages=DOC.pages), runtime(llm))
    assert out["mentions"] == [] and out["drops"] == {"invalid_output": 1}
    # Regression: the failed call's tokens were lost, so its time was booked as non-LLM time.
    assert out["usage"].calls == 1 and out["usage"].prompt_tokens > 0


def test_prompts_share_a_byte_identical_prefix_across_chunks() -> None:
    news = load_schema("news")
    a, b = (build_messages(c, news, []) for c in CHUNKS[:2])
    assert a[0] == b[0] and a[0].role == "system"
    assert a[-1].content.endswith(CHUNKS[0].text) and b[-1].content.endswith(CHUNKS[1].text)


def test_demonstrations_become_user_and_assistant_turns() -> None:
    from factloom.tools.extraction.demos import DemoEntity, Demonstration

    demo = Demonstration(text="Ann lives in Rome.", entities=(DemoEntity(text="Rome", type="location"),))
    messages = build_messages(CHUNKS[0], load_schema("news"), [demo])
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2] == Message(
        role="assistant", content='{"entities": [{"text": "Rome", "type": "location"}]}'
    )


class _Demos:
    def __init__(self) -> None:
        self.asked: list[str] = []

    def retrieve(self, text: str, k: int, token_budget: int) -> list:
        from factloom.tools.extraction.demos import DemoEntity, Demonstration

        self.asked.append(text)
        return [
            Demonstration(text="Ann Lee lives in Rome.", entities=(DemoEntity(text="Rome", type="location"),))
        ]


async def test_retrieved_demonstrations_are_shown_before_the_chunk() -> None:
    from dataclasses import replace

    llm, demos = ScriptedLLM(), _Demos()
    rt = runtime(llm)
    rt = replace(rt, context=replace(rt.context, demos=demos))
    await find_entities(EntityFinderInput(chunk=CHUNKS[0]), rt)
    assert demos.asked == [CHUNKS[0].text]
    assert llm.calls[0].messages[1].content == "Text:\nAnn Lee lives in Rome."


async def test_zero_shot_when_the_workspace_has_no_demonstrations() -> None:
    llm = ScriptedLLM()
    await find_entities(EntityFinderInput(chunk=CHUNKS[0]), runtime(llm))
    assert [m.role for m in llm.calls[0].messages] == ["system", "user"]


async def test_a_span_typed_twice_keeps_its_first_type() -> None:
    answer = _answer(("Mary Jones", "person"), ("Mary Jones", "location"), ("Mary Jones", "person"))
    llm = ScriptedLLM({"entity_finder": answer})
    out = await find_entities(EntityFinderInput(chunk=CHUNKS[1], pages=DOC.pages), runtime(llm))
    assert [(m.text, m.type) for m in out["mentions"]] == [("Mary Jones", "person")]
    assert out["drops"] == {"mention_schema": 1}


def test_a_clause_type_keeps_a_whole_sentence_that_a_name_type_would_drop() -> None:
    from factloom.agents.entity_finder import check_mentions
    from factloom.ingest.models import Chunk
    from factloom.tools.extraction.schema import load_schema

    text = "Distributor shall not sell competing products. Acme Inc. is the Supplier."
    chunk = Chunk(chunk_id="c", doc_id="d", index=0, start=0, end=len(text), text=text, page=1)
    clause = "Distributor shall not sell competing products."
    items = [(clause, "non_compete"), (text, "party"), (text, "exclusivity")]
    mentions, drops = check_mentions(items, chunk, [], load_schema("contracts"), 90.0)
    assert [(m.text, m.type) for m in mentions] == [(clause, "non_compete"), (text, "exclusivity")]
    assert drops == {"mention_shape": 1}  # two sentences are no party name
