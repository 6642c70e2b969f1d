"""Fuzz the schema loader, the grounding and the model-output parser with 10,000+ cases each.

Runs the hypothesis properties of ``tests/fuzz`` (the same code CI runs with 200 examples per test)
with ``--per-test`` examples per property, counts the examples each target really ran, and writes
``bench/results/fuzz.json`` and ``fuzz.md``. The machine is shared, so the load average is recorded.

    python bench/fuzz.py                   # 2,500 examples per property (>= 10,000 per target)
    python bench/fuzz.py --per-test 300    # a quick look
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results"
TARGETS = {
    "schema loader (tools/extraction/schema.py load_schema)": "test_fuzz_schema.py",
    "grounding (tools/extraction/grounding.py find_quote, ground)": "test_fuzz_grounding.py",
    "model-output parser (tools/llm/structured.py)": "test_fuzz_structured.py",
}


def _load(file_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(file_name[:-3], ROOT / "tests" / "fuzz" / file_name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _properties(module: ModuleType) -> list[tuple[str, Callable[[], None]]]:
    return [
        (name, fn)
        for name, fn in vars(module).items()
        if name.startswith("test_") and hasattr(fn, "hypothesis")
    ]


def _run_property(fn: Any) -> tuple[int, str | None]:
    """Run one hypothesis property; return how many examples it checked and its failure, if any.

    Examples rejected by ``assume`` are not counted.
    """
    calls = 0
    inner = fn.hypothesis.inner_test

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = inner(*args, **kwargs)  # UnsatisfiedAssumption propagates before counting
        calls += 1
        return result

    fn.hypothesis.inner_test = counted
    try:
        fn()
    except Exception as e:
        return calls, "".join(traceback.format_exception_only(type(e), e))[-2000:]
    finally:
        fn.hypothesis.inner_test = inner
    return calls, None


def run(per_test: int) -> dict[str, Any]:
    """Run every target's properties with ``per_test`` examples each; return the results."""
    os.environ["FACTLOOM_FUZZ_EXAMPLES"] = str(per_test)
    load_at_start = tuple(round(x, 2) for x in os.getloadavg())
    targets = []
    for target, file_name in TARGETS.items():
        started = time.perf_counter()
        properties = []
        for name, fn in _properties(_load(file_name)):
            t0 = time.perf_counter()
            examples, failure = _run_property(fn)
            properties.append(
                {
                    "name": name,
                    "examples": examples,
                    "seconds": round(time.perf_counter() - t0, 1),
                    "failure": failure,
                }
            )
            print(f"{target}: {name}: {examples} examples, {'FAILED' if failure else 'ok'}", file=sys.stderr)
        targets.append(
            {
                "target": target,
                "tests": f"tests/fuzz/{file_name}",
                "examples": sum(p["examples"] for p in properties),
                "failures": sum(1 for p in properties if p["failure"]),
                "seconds": round(time.perf_counter() - started, 1),
                "properties": properties,
            }
        )
    return {
        "command": f"python bench/fuzz.py --per-test {per_test}",
        "per_test_max_examples": per_test,
        "loadavg_start": load_at_start,
        "targets": targets,
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Fuzzing: schema loader, grounding, model-output parser",
        "",
        f"Command: `{result['command']}`; load average at the end {result['loadavg_end']} "
        "(shared machine: timings are indicative only).",
        "",
        "| target | examples checked | properties | failures | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in result["targets"]:
        counts = f"{t['examples']:,} | {len(t['properties'])} | {t['failures']}"
        lines.append(f"| {t['target']} | {counts} | {t['seconds']} |")
    lines += ["", "Properties (examples each):", ""]
    for t in result["targets"]:
        for p in t["properties"]:
            status = "FAILED: " + p["failure"].splitlines()[0] if p["failure"] else "ok"
            lines.append(f"- `{t['tests']}::{p['name']}`: {p['examples']:,} ({status})")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse the arguments, run the fuzzers, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-test", type=int, default=2500, help="max examples per property")
    args = parser.parse_args()
    result = run(args.per_test)
    result["loadavg_end"] = tuple(round(x, 2) for x in os.getloadavg())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "fuzz.md").write_text(_markdown(result))
    print(_markdown(result))
    failed = sum(t["failures"] for t in result["targets"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
