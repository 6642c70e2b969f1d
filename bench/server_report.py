"""The Markdown report of ``bench/server.py`` (``bench/results/server.md``)."""

from __future__ import annotations

from typing import Any

_BARS = " ▁▂▃▄▅▆▇█"


def sparkline(series: list[int], width: int = 60) -> str:
    """Return ``series`` (calls in flight per step) as one line of blocks, ``width`` wide at most."""
    if not series:
        return ""
    step = max(1, -(-len(series) // width))
    points = [max(series[i : i + step]) for i in range(0, len(series), step)]
    top = max(points) or 1
    return "".join(_BARS[round(p / top * (len(_BARS) - 1))] for p in points)


def scripted(part: dict[str, Any]) -> list[str]:
    lines = [
        "## Documents per minute vs concurrency (scripted server)",
        "",
        f"Command: `{part['command']}`; commit {part['commit']}; {part['date']}  ",
        f"{part['documents']} news documents of {part['paragraphs']} one-chunk paragraphs, the "
        "scripted server (`python bench/scripted_server.py`) answering every call after "
        f"{part['delay_s']} s, "
        "through `OpenAIBackend` and the real openai client; default options (profile large: joint "
        "relations, CoT, verifier, consolidator), no demonstrations.  ",
        f"Machine: {part['machine']}; load average {part['loadavg_start']} at start, "
        f"{part['loadavg_end']} at end (shared).",
        "",
        "**Ideal**: every call takes exactly the delay, at most C run at once, and the calls keep the "
        "graph's dependencies: each document's calls come in waves (calls that start together at the "
        "highest concurrency; a wave waits for the one before it: entity finder, relation reasoner, "
        "verifier, then the consolidator's rounds), each wave takes `ceil(size / C)` delays, documents "
        f"run one after another. Waves per document: {part.get('waves_per_document')}, sizes "
        f"{part.get('wave_sizes')}. **Throughput bound**: C calls per delay, no dependencies. "
        "Goal: documents/min within 80% of the ideal.",
        "",
        "| concurrency | calls/doc | wall s | docs/min | ideal docs/min | share of ideal | throughput bound "
        "| in flight max / mean | calls in flight over time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in part["rows"]:
        lines.append(
            f"| {r['concurrency']} | {r['calls_per_document']} | {r['wall_s']} | {r['documents_per_min']} "
            f"| {r['ideal_documents_per_min']} | {r['share_of_ideal']} "
            f"| {r['throughput_bound_documents_per_min']} | {r['in_flight_max']} / {r['in_flight_mean']} "
            f"| `{sparkline(r['in_flight'])}` |"
        )
    agents = part["rows"][0]["calls_by_agent"] if part["rows"] else {}
    lines += ["", f"Calls by agent (all documents, concurrency {part['rows'][0]['concurrency']}): {agents}."]
    return lines


def llama(part: dict[str, Any]) -> list[str]:
    lines = [
        f"## Valid outputs through llama_cpp.server (real model){part.get('note', '')}",
        "",
        f"Command: `{part['command']}`; commit {part['commit']}; {part['date']}  ",
        f"`python -m llama_cpp.server` (llama-cpp-python, {part['threads']} threads) serving "
        f"{part['model']}; PDFs {', '.join(part['pdfs'])}, first {part['max_pages']} pages; schema "
        f"`{part['schema']}`, profile `{part['profile']}`, {part['concurrency']} calls in flight, "
        "no demonstrations.  ",
        f"Machine: {part['machine']}; load average {part['loadavg_start']} at start, "
        f"{part['loadavg_end']} at end (shared).",
        "",
        f"Wall time {part['wall_s']} s for {part['chunks']} chunks; {part['calls']} calls; "
        f"**{part['entities']} entities, {part['relations']} relations**; drops {part['drops']}."
        + (f" **Run stopped: {part['error']}**" if part.get("error") else ""),
        "",
        "| agent | calls | valid (after at most one repair) | invalid | error | valid share |",
        "|---|---|---|---|---|---|",
    ]
    for agent, r in part["per_agent"].items():
        lines.append(
            f"| {agent} | {r['calls']} | {r.get('ok', 0)} | {r.get('invalid', 0)} | {r.get('error', 0)} "
            f"| {r['valid_share']} |"
        )
    lines.append(f"| **all** | {part['calls']} | | | | **{part['valid_share']}** |")
    return lines


def llama_concurrency(part: dict[str, Any]) -> list[str]:
    lines = [
        "## Documents per minute vs concurrency through llama_cpp.server (real model)",
        "",
        f"Command: `{part['command']}`; commit {part['commit']}; {part['date']}  ",
        f"One `python -m llama_cpp.server` (llama-cpp-python, {part['threads']} threads) serving "
        f"{part['model']}; {part['documents']} news documents of {part['paragraphs']} one-chunk paragraphs "
        f"(schema `news`, profile `{part['profile']}`, no demonstrations), extracted at each concurrency "
        "in turn on a fresh workspace.  ",
        f"Machine: {part['machine']}; load average {part['loadavg_start']} at start, "
        f"{part['loadavg_end']} at end (shared).",
        "",
        "llama-cpp-python's server holds one lock around its model for each request "
        "(`llama_cpp/server/app.py`, `llama_outer_lock`/`llama_inner_lock`), so it runs one completion at "
        "a time: requests sent together queue in the server. Concurrency overlaps only the client's own "
        "work and the HTTP round trips with the model's; each call then waits longer (latency).",
        "",
        "| concurrency | calls | wall s | docs/min | calls/min | call latency mean / p90 s "
        "| in flight max / mean | entities | relations | outcomes | load (1 min) start, end |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in part["rows"]:
        lines.append(
            f"| {r['concurrency']} | {r['calls']} | {r['wall_s']} | {r['documents_per_min']} "
            f"| {r['calls_per_min']} | {r['call_latency_mean_s']} / {r['call_latency_p90_s']} "
            f"| {r['in_flight_max']} / {r['in_flight_mean']} | {r['entities']} | {r['relations']} "
            f"| {r['outcomes']} | {r['loadavg_1min_start_end']} |"
        )
    return lines


def markdown(result: dict[str, Any]) -> str:
    """Return the report of every part measured so far."""
    lines = ["# Server path benchmark (`bench/server.py`)", ""]
    if "scripted" in result:
        lines += [*scripted(result["scripted"]), ""]
    for key in sorted(k for k in result if k.startswith("llama") and not k.startswith("llama-concurrency")):
        lines += [*llama(result[key]), ""]
    for key in sorted(k for k in result if k.startswith("llama-concurrency")):
        lines += [*llama_concurrency(result[key]), ""]
    return "\n".join(lines)
