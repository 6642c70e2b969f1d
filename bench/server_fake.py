"""A scripted OpenAI-compatible server with a fixed latency per call, for throughput benchmarks.

A copy of the idea of ``tests/scripted_server.py`` that imports nothing from the tests: it answers
``/v1/chat/completions`` from the request's JSON schema (the entity finder gets the script's names found in
the prompt, the relation reasoner the script's relations whose evidence is in the prompt, the verifier
"supported" for every fact, any other agent the first option), after sleeping ``--delay`` seconds. Every
request runs in its own thread, so 64 calls in flight take one delay, as on a batching GPU server. It
measures the client and the graph, never extraction quality.

    python bench/server_fake.py SCRIPT.json PORT_FILE --delay 0.5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def first_value(schema: dict[str, Any]) -> Any:
    """Return the first value ``schema`` allows (first enum value, empty arrays, lowest numbers)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return first_value(schema["anyOf"][0])
    kind = schema.get("type")
    if kind == "object":
        return {name: first_value(prop) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [first_value(schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return "x" * schema.get("minLength", 1)


def _allowed(item: dict[str, Any], relation: list[str]) -> bool:
    """Return whether some alternative of a relation item schema accepts (head, type, tail)."""
    wanted = dict(zip(("head", "type", "tail"), relation, strict=False))
    for alt in item.get("anyOf") or [item]:
        props = alt.get("properties", {})
        ok = True
        for key, value in wanted.items():
            prop = props.get(key, {})
            values = {prop["const"]} if "const" in prop else set(prop.get("enum", [value]))
            ok = ok and value in values
        if ok:
            return True
    return False


def answer(script: dict[str, Any], prompt: str, schema: dict[str, Any]) -> Any:
    """Return the scripted answer to one request."""
    props = schema.get("properties", {})
    if "entities" in props:
        return {"entities": [{"text": n, "type": t} for n, t in script["names"].items() if n in prompt]}
    if "relations" in props:
        chunk = prompt.split("\n\nEntities:")[0]
        item = props["relations"]["items"]
        rels = [
            {"head": h, "type": t, "tail": tl, "evidence": q}
            for h, t, tl, q in script["relations"]
            if q in chunk and _allowed(item, [h, t, tl])
        ]
        return {**({"reasoning": ""} if "reasoning" in props else {}), "relations": rels}
    if "verdicts" in props:
        item = props["verdicts"]["items"]
        n = item["properties"]["fact"].get("maximum", 1)
        verdict = first_value(item) | {"verdict": "supported", "confidence": 0.9}
        return {"verdicts": [verdict | {"fact": i} for i in range(1, n + 1)]}
    return first_value(schema)


def make_handler(script: dict[str, Any], delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the client's pool reuses connections

        def log_message(self, *_: object) -> None:
            return

        def _send(self, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send(
                {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "bench"}]}
            )

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(delay)
            prompt = request["messages"][-1]["content"]
            fmt = request.get("response_format") or {}
            schema = fmt.get("json_schema", {}).get("schema") or fmt.get("schema") or {}
            content = json.dumps(answer(script, prompt, schema))
            tokens = max(len(prompt) // 4, 1)
            message = {"role": "assistant", "content": content}
            self._send(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "scripted",
                    "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                    "usage": {"prompt_tokens": tokens, "completion_tokens": len(content) // 4 + 1},
                }
            )

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 64 clients connecting at once must not be refused


def start(script: dict[str, Any], folder: Path, delay: float) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server as a child process; return it and its ``/v1`` URL once it listens."""
    folder.mkdir(parents=True, exist_ok=True)
    script_file, port_file = folder / "script.json", folder / "port"
    script_file.write_text(json.dumps(script))
    port_file.unlink(missing_ok=True)
    command = [sys.executable, __file__, str(script_file), str(port_file), "--delay", str(delay)]
    proc = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the scripted server did not start")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/v1"


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", type=Path)
    parser.add_argument("port_file", type=Path)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()
    server = _Server(("127.0.0.1", 0), make_handler(json.loads(args.script.read_text()), args.delay))
    tmp = args.port_file.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
