"""A scripted OpenAI-compatible server, run as a real process: for the benchmarks of the client and the graph
(``--delay`` per call, ``--keep-alive``) and for tests that kill and restart things (pytest puts bench/ on
the path).

It answers ``/v1/chat/completions`` from the request's JSON schema: the entity finder gets the script's
names found in the prompt, the relation reasoner the script's relations whose evidence is in the prompt,
and every other agent the smallest answer its schema allows (verdicts: all supported). It is a wiring
fake, never evidence of extraction quality. Every request runs in its own thread, so many calls in flight
take one delay, as on a batching GPU server.

    python bench/scripted_server.py SCRIPT.json PORT_FILE [--delay S] [--die-after N] [--reply TEXT]

``SCRIPT.json``: ``{"names": {"John Smith": "person"}, "relations": [[head, type, tail, evidence]]}``.
The chosen port is written to ``PORT_FILE``; ``--die-after N`` makes the process exit abruptly
(``os._exit``) on the N+1-th completion request, as a crashed server would; ``--stall-after N`` makes every
completion request after the N-th hang without an answer, as a stuck server would. ``--reply TEXT`` answers
every completion with TEXT verbatim (bad model output); ``--finish length`` says every answer was cut
off; ``--keep-alive`` keeps connections open (HTTP/1.1) for clients with a connection pool. ``GET /stats``
returns the number of completions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def minimal(schema: dict[str, Any]) -> Any:
    """Return the smallest value ``schema`` accepts (first enum value, empty arrays, lowest numbers)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return minimal(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        return {name: minimal(prop) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [minimal(schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return (
            max(schema.get("minimum", 0.9), 0.9) if schema.get("maximum", 1.0) >= 0.9 else schema["maximum"]
        )
    if kind == "boolean":
        return False
    return "x" * schema.get("minLength", 1)


def _values(prop: dict[str, Any]) -> set[str] | None:
    """Return the values a string property allows (``enum`` or ``const``), or None for any string."""
    if "const" in prop:
        return {prop["const"]}
    return set(prop["enum"]) if "enum" in prop else None


def relation_branches(item: dict[str, Any]) -> list[dict[str, set[str] | None]]:
    """Return, per alternative of a relation item schema, the allowed heads, types and tails."""
    alternatives = item.get("anyOf") or item.get("oneOf") or [item]
    return [
        {key: _values(alt["properties"][key]) for key in ("head", "type", "tail")}
        for alt in alternatives
        if "properties" in alt
    ]


def allowed(branches: list[dict[str, set[str] | None]], head: str, type_: str, tail: str) -> bool:
    """Return whether some alternative of a relation item schema accepts (head, type, tail)."""
    wanted = {"head": head, "type": type_, "tail": tail}
    return any(all(v is None or wanted[k] in v for k, v in b.items()) for b in branches)


class Script:
    """What the fake model knows: entity names with their types, and relations with their evidence."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.names: dict[str, str] = data.get("names", {})
        self.relations: list[list[str]] = data.get("relations", [])

    def answer(self, prompt: str, schema: dict[str, Any]) -> Any:
        props = schema.get("properties", {})
        if "entities" in props:
            return {"entities": [{"text": n, "type": t} for n, t in self.names.items() if n in prompt]}
        if "relations" in props:
            chunk = prompt.split("\n\nEntities:")[0]
            branches = relation_branches(props["relations"]["items"])
            found = [r for r in self.relations if r[3] in chunk and allowed(branches, r[0], r[1], r[2])]
            rels = [{"head": h, "type": t, "tail": tl, "evidence": q} for h, t, tl, q in found]
            return {**({"reasoning": ""} if "reasoning" in props else {}), "relations": rels}
        if "verdicts" in props:
            n = props["verdicts"]["items"]["properties"]["fact"].get("maximum", 1)
            return {
                "verdicts": [
                    {
                        "fact": i,
                        "rationale": "the evidence states it",
                        "verdict": "supported",
                        "confidence": 0.9,
                    }
                    for i in range(1, n + 1)
                ]
            }
        return minimal(schema)


def make_handler(
    script: Script, args: argparse.Namespace, counter: list[int]
) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1" if args.keep_alive else "HTTP/1.0"

        def log_message(self, *_: object) -> None:
            return

        def _send(self, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client killed mid-call
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.endswith("/models"):
                self._send(
                    {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "test"}]}
                )
            else:
                self._send({"completions": counter[0]})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                if args.die_after is not None and counter[0] >= args.die_after:
                    os._exit(1)
                counter[0] += 1
                stalled = args.stall_after is not None and counter[0] > args.stall_after
            if stalled:
                time.sleep(3600)  # the client gives up first
                return
            time.sleep(args.delay)
            prompt = request["messages"][-1]["content"]
            fmt = request.get("response_format") or {}
            schema = fmt.get("json_schema", {}).get("schema") or fmt.get("schema") or {}
            content = args.reply if args.reply is not None else json.dumps(script.answer(prompt, schema))
            tokens = max(len(prompt) // 4, 1)
            self._send(
                {
                    "id": f"c{counter[0]}",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "scripted",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": args.finish,
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": tokens,
                        "completion_tokens": len(content) // 4 + 1,
                        "total_tokens": tokens + len(content) // 4 + 1,
                    },
                }
            )

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 64 clients connecting at once must not be refused


def start_server(script: dict[str, Any], folder: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server as a real process; return it and its ``/v1`` URL once it listens."""
    folder.mkdir(parents=True, exist_ok=True)
    script_file, port_file = folder / "script.json", folder / "port"
    script_file.write_text(json.dumps(script))
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, __file__, str(script_file), str(port_file), *extra])
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the scripted server did not start")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/v1"


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("script", type=Path)
    parser.add_argument("port_file", type=Path)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--die-after", type=int, default=None)
    parser.add_argument("--stall-after", type=int, default=None)
    parser.add_argument("--reply", default=None)
    parser.add_argument("--finish", default="stop", help="finish_reason of every answer (length: cut off)")
    parser.add_argument("--keep-alive", action="store_true", help="keep connections open (HTTP/1.1)")
    args = parser.parse_args()
    script = Script(json.loads(args.script.read_text()))
    server = _Server(("127.0.0.1", args.port), make_handler(script, args, [0]))
    tmp = args.port_file.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
