"""Model profiles set the agents' knobs; explicit options win; small models read sentence windows."""

from __future__ import annotations

import pytest

from factloom.agents.entity_finder import EntityFinderInput, find_entities, reading_windows
from factloom.agents.profiles import PROFILE_SETTINGS
from factloom.graphs.extract_options import ExtractOptions, ExtractOptionsError
from factloom.tools.llm.scripted import ScriptedLLM
from tests.extract_fixtures import make_document, runtime

DOC, CHUNKS = make_document()


def test_each_profile_sets_the_knobs_that_depend_on_model_size() -> None:
    tiny, small, large = (ExtractOptions(profile=p).settings() for p in ("tiny", "small", "large"))
    assert (tiny.unit, tiny.relation_mode, tiny.cot, tiny.verify) == ("sentences", "joint", False, False)
    assert (small.unit, small.relation_mode, small.verify) == ("sentences", "pairs", True)
    assert (large.unit, large.relation_mode, large.cot, large.verify) == ("chunk", "joint", True, True)
    assert ExtractOptions().settings() == large  # no profile: the large defaults of earlier versions
    assert {s.profile for s in PROFILE_SETTINGS.values()} == {"tiny", "small", "large"}


def test_options_given_explicitly_override_the_profile() -> None:
    s = ExtractOptions(profile="tiny", cot=True, verify=True, relation_mode="joint", unit="chunk").settings()
    assert (s.cot, s.verify, s.relation_mode, s.unit, s.profile) == (True, True, "joint", "chunk", "tiny")
    assert ExtractOptions(profile="large", demos=False).settings().k_demos == 0
    assert ExtractOptions(profile="large", consolidate=False).settings().cross_chunk_pairs == 0


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(ExtractOptionsError, match="profile must be one of tiny, small, large"):
        ExtractOptions(profile="huge")  # type: ignore[arg-type]


def test_sentence_windows_cover_the_chunk_in_document_offsets() -> None:
    chunk = CHUNKS[1]  # "Mary Jones lives in Paris. Smith met Jones in Paris last year."
    windows = reading_windows(chunk, max_chars=30)
    assert [w.text for w in windows] == ["Mary Jones lives in Paris.", "Smith met Jones in Paris last year."]
    assert all(DOC.text[w.start : w.end] == w.text and w.chunk_id == chunk.chunk_id for w in windows)
    assert [w.text for w in reading_windows(chunk, max_chars=400)] == [chunk.text.strip()]


async def test_a_small_model_reads_each_sentence_window_in_its_own_call() -> None:
    llm = ScriptedLLM(
        {"entity_finder": [{"entities": [{"text": "Mary Jones", "type": "person"}]}, {"entities": []}]}
    )
    out = await find_entities(
        EntityFinderInput(chunk=CHUNKS[1], pages=DOC.pages), runtime(llm, unit="sentences", window_chars=30)
    )
    assert [c.messages[-1].content for c in llm.calls] == [
        "Text:\nMary Jones lives in Paris.",
        "Text:\nSmith met Jones in Paris last year.",
    ]
    [mary] = out["mentions"]
    assert DOC.text[mary.start : mary.end] == "Mary Jones" and out["usage"].calls == 2


def test_the_large_profile_asks_no_cross_chunk_pairs_unless_told() -> None:
    """Cross-chunk relations verified by Qwen-1.5B were all wrong in three hand-checked samples."""
    large = ExtractOptions(profile="large").settings()
    assert (large.cross_chunk_pairs, large.verifier_style, large.check_types) == (0, "choice", False)
    assert ExtractOptions(profile="large", cross_chunk_pairs=3).settings().cross_chunk_pairs == 3
    small = ExtractOptions(profile="small").settings()
    assert (small.verifier_style, small.check_types) == ("verdicts", False)


def test_the_cross_chunk_pairs_and_verifier_style_flags_reach_the_run(tmp_path) -> None:
    from click.testing import CliRunner

    from factloom.graphs.cli import main

    doc = tmp_path / "doc.txt"
    doc.write_text("Mary Jones lives in Paris. Smith met Jones in Paris last year.\n")
    args = ["extract", str(doc), "-w", str(tmp_path / "ws"), "--dry-run", "--profile", "large"]
    out = CliRunner().invoke(main, [*args, "--cross-chunk-pairs", "3", "--verifier-style", "verdicts"]).output
    assert "verifier (verdicts)" in out and "3 cross-chunk pairs" in out, out
    out = CliRunner().invoke(main, args).output
    assert "verifier (choice)" in out and "0 cross-chunk pairs" in out, out


def test_the_check_types_flag_reaches_the_run(tmp_path) -> None:
    from click.testing import CliRunner

    from factloom.graphs.cli import main

    doc = tmp_path / "doc.txt"
    doc.write_text("Mary Jones lives in Paris.\n")
    args = ["extract", str(doc), "-w", str(tmp_path / "ws"), "--dry-run", "--profile", "large"]
    out = CliRunner().invoke(main, [*args, "--check-types"]).output
    assert "verifier (choice, types checked)" in out, out
    out = CliRunner().invoke(main, [*args, "--no-check-types"]).output
    assert "verifier (choice)," in out, out
    help_text = CliRunner().invoke(main, ["extract", "--help"]).output
    assert "--check-types / --no-check-types" in help_text and "--evidence-reach CHARS" in help_text
    out = CliRunner().invoke(main, [*args, "--evidence-reach", "-1"]).output
    assert "Invalid value for '--evidence-reach'" in out, out
