"""bench/quality.py: the run matrix pairs every factloom row with a baseline, and the report shows the CIs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


quality = _load("quality")
report = _load("quality_report")


def _record(run: str, right: int, n: int = 30) -> dict:
    """A stored run on ``n`` one-relation sentences, right on the first ``right`` of them."""
    counts = [[1 if i < right else 0, 1, 1] for i in range(n)]
    f1 = right / n
    score = {"p": f1, "r": f1, "f1": f1, "tp": right, "n_pred": n, "n_gold": n, "f1_ci": [0.0, 1.0]}
    return {
        "run": run,
        "limit": n,
        "n_docs": n,
        "entity": score,
        "relation_strict": score,
        "per_doc": {"doc_ids": [f"s{i}" for i in range(n)], "entity": counts, "relation_strict": counts},
        "llm_calls": 2 * n,
        "prompt_tokens": 1000 * n,
        "completion_tokens": 50 * n,
        "seconds": 3.0 * n,
        "relation_confusion": {
            "other_type": 2,
            "reversed": 1,
            "reversed_other_type": 0,
            "wrong_arguments": 3,
        },
        "drop_stages": {"grounding": 4, "schema": 1, "verifier": 0, "invalid_output": 0},
        "usage_by_agent": {"entity_finder": {"calls": n, "prompt_tokens": 9, "completion_tokens": 1}},
    }


def test_every_factloom_row_has_a_baseline_and_every_ablation_a_base_in_the_matrix() -> None:
    names = {r.name for r in quality.RUNS}
    assert len(names) == len(quality.RUNS)
    for run in quality.RUNS:
        assert run.baseline is None or run.baseline in names, run.name
        assert run.base is None or run.base in names, run.name
    no_demos = next(r for r in quality.RUNS if r.name == "ade-factloom-no-demos")
    assert no_demos.baseline == "ade-single-prompt-no-demos" and no_demos.base == "ade-factloom"
    assert {"conll04-factloom-pairs", "conll04-factloom-joint", "biored-single-prompt"} <= names


def test_report_gives_paired_differences_and_marks_those_that_exclude_zero() -> None:
    results = {
        "model": "qwen-1.5b",
        "runs": [
            _record("conll04-factloom", 25),
            _record("conll04-single-prompt", 5),
            _record("conll04-factloom-no-cot", 24),
            {
                "run": "conll04-factloom-no-verifier",
                "limit": 30,
                "switches": {},
                "same_as": "conll04-factloom",
            },
        ],
    }
    found = report.comparisons(results, quality.RUNS)
    vs = found["conll04-factloom"]["vs_single_prompt"]
    assert vs["against"] == "conll04-single-prompt"
    assert vs["relation_strict"]["diff"] == pytest.approx(20 / 30, abs=1e-4)
    assert vs["relation_strict"]["ci"][0] > 0
    assert found["conll04-factloom-no-cot"]["vs_base"]["against"] == "conll04-factloom"
    text = report.markdown(results, quality.RUNS)
    assert "| conll04-factloom | 30 | 83.3 [0.0, 100.0] | 83.3 [0.0, 100.0] | +66.7 [" in text
    assert "]* |" in text  # the CI of +66.7 excludes 0
    assert "= conll04-factloom (the profile's own setting)" in text
    assert "entity_finder 30 (9 + 1)" in text


def test_absent_model_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTLOOM_MODELS", str(tmp_path))
    with pytest.raises(SystemExit, match=r"fetch qwen-1.5b"):
        quality.model_path("qwen-1.5b", None)
    assert quality.model_path("smollm2", None) is None
    gguf = tmp_path / "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    gguf.write_bytes(b"GGUF")
    assert quality.model_path("qwen-0.5b", None) == gguf
