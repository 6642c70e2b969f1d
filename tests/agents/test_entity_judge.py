"""The entity judge: batching, prompt placeholders, answers mapped back to pairs, defaults kept.

The LLM is scripted: these tests check wiring and parsing, not the quality of any model's judgement.
"""

from __future__ import annotations

import re
import string

from factloom.agents import entity_judge as ej
from factloom.tools.errors import LLMOutputError
from factloom.tools.llm.base import Completion
from factloom.tools.resolution.resolve import Edge, Record, resolve


class ScriptedLLM:
    """Answers ``same`` for pairs whose two names share their first letter (case-folded)."""

    name = "scripted"

    def __init__(self, fail: bool = False) -> None:
        self.prompts: list[str] = []
        self.fail = fail

    async def complete(self, messages, output, *, sampling=None, tag=None):
        user = messages[-1].content
        self.prompts.append(user)
        if self.fail:
            raise LLMOutputError("not JSON", raw="???")
        verdicts = []
        for number, a, b in re.findall(r"^(\d+)\. A: (.+?) \(.*\| B: (.+?) \(", user, flags=re.M):
            if number != "2":  # leave pair 2 unanswered
                verdicts.append({"pair": int(number), "same": a[0].lower() == b[0].lower()})
        return Completion(value=output.model_validate({"verdicts": verdicts}))


def _pairs(n: int) -> list[tuple[Record, Record, Edge]]:
    out = []
    for i in range(n):
        a = Record(f"a{i}", f"Alpha {i}", "org", context=frozenset({"x"}))
        b = Record(f"b{i}", ("Alfa" if i % 2 else "Beta") + f" {i}", "org")
        out.append((a, b, Edge(a.id, b.id, 0.8, "similar names")))
    return out


def test_templates_have_exactly_their_placeholders() -> None:
    fields = lambda t: {f for _, f, _, _ in string.Formatter().parse(t) if f}  # noqa: E731
    assert fields(ej.SYSTEM_TEMPLATE) == set()
    assert fields(ej.PAIR_TEMPLATE) == {
        "number",
        "name_a",
        "type_a",
        "context_a",
        "name_b",
        "type_b",
        "context_b",
    }
    assert fields(ej.USER_TEMPLATE) == {"pairs"}


def test_pairs_are_judged_in_batches_and_mapped_back() -> None:
    llm = ScriptedLLM()
    judge = ej.EntityJudge(llm, batch_size=4)
    decisions = judge(_pairs(10))
    assert len(llm.prompts) == 3  # 4 + 4 + 2
    # pair 2 of each batch (indexes 1, 5, 9) is unanswered and keeps the default (apart, score < 1)
    expected = [i % 2 == 1 and i not in (1, 5, 9) for i in range(10)]
    assert decisions == expected
    assert judge.unanswered == 3


def test_unusable_output_keeps_defaults_exact_names_merge() -> None:
    pairs = _pairs(2)
    pairs[0] = (pairs[0][0], pairs[0][1], Edge("a0", "b0", 1.0, "same name, contexts differ"))
    assert ej.EntityJudge(ScriptedLLM(fail=True))(pairs) == [True, False]


def test_resolve_with_the_llm_judge() -> None:
    records = [Record("1", "Microsoft", "org"), Record("2", "Microsfot", "org"), Record("3", "Oracle", "org")]
    assert len(resolve(records)) == 3  # the typo pair is in the ambiguous band
    llm = ScriptedLLM()
    clusters = resolve(records, judge=ej.EntityJudge(llm, batch_size=8))
    assert [c.members for c in clusters] == [("1", "2"), ("3",)]
    assert len(llm.prompts) == 1 and "Microsfot" in llm.prompts[0]
