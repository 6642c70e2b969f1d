"""A small question-answering workspace built for real: a PDF rendered with pymupdf, parsed, stored,
its pages indexed in the ``chunks`` collection, and a hand-made document graph whose evidence offsets
index the parsed text. Also a scripted LLM for wiring tests (not evidence of answer quality).

Load it from a test with ``importlib`` (tests use the importlib import mode).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf

from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_chunks, get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation, stable_id
from factloom.tools.llm.base import Completion, Message, Usage
from factloom.tools.store.documents import save_document_graph

PAGES = [
    "Lithium toxicity in a newborn infant\n\n"
    "A newborn with atrial flutter had a high serum lithium level after maternal treatment. "
    "Lithium carbonate is known to cause hypotension in some patients. "
    "The infant was treated with digoxin and recovered within two weeks.",
    "Anticoagulants and bleeding\n\n"
    "Warfarin increases the risk of bleeding in elderly patients. "
    "Aspirin lowers the risk of stroke after a first event. "
    'A pasted web note reads <script>window.__pwned = 1;</script> <img src="x" onerror="window.__pwned = 2"> '
    "<b>not bold</b> and should be shown as plain text.",
]
"""The text of the two pages: page 2 carries HTML and a script that must stay inert."""

ENTITIES = [
    ("Lithium carbonate", "Chemical", ("lithium",)),
    ("hypotension", "Disease", ()),
    ("atrial flutter", "Disease", ()),
    ("digoxin", "Chemical", ()),
    ("Warfarin", "Chemical", ()),
    ("bleeding", "Disease", ()),
    ("Aspirin", "Chemical", ()),
    ("stroke", "Disease", ()),
]
RELATIONS = [
    (
        "Lithium carbonate",
        "causes",
        "hypotension",
        "Lithium carbonate is known to cause hypotension in some patients.",
    ),
    ("Warfarin", "causes", "bleeding", "Warfarin increases the risk of bleeding in elderly patients."),
    ("Aspirin", "prevents", "stroke", "Aspirin lowers the risk of stroke after a first event."),
]


def render_pdf(path: Path) -> Path:
    """Write the two-page test PDF."""
    pdf = pymupdf.open()
    for text in PAGES:
        page = pdf.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 520, 770), text, fontsize=11)
    pdf.save(path)
    pdf.close()
    return path


def _find(text: str, needle: str, flags: int = 0) -> tuple[int, int]:
    pattern = r"\s+".join(re.escape(w) for w in needle.split())
    m = re.search(pattern, text, flags)
    assert m is not None, f"{needle!r} not in the parsed text"
    return m.start(), m.end()


def build_workspace(root: Path) -> dict[str, Any]:
    """Ingest the test PDF into a workspace at ``root`` and save its graph; return doc_id, ids and text."""
    pdf = render_pdf(root.parent / f"{root.name}.pdf")
    ws = Workspace(root)
    (result,) = ingest_paths(ws, [str(pdf)]).results
    assert result.status == "ingested", result.message
    doc_id = result.doc_id
    doc = get_document(ws, doc_id)
    chunks = get_chunks(ws, doc_id)
    ids = {name: stable_id("e", doc_id, name) for name, _t, _a in ENTITIES}
    entities = []
    for name, type_, aliases in ENTITIES:
        s, e = _find(doc.text, name, re.IGNORECASE)
        chunk = next(c for c in chunks if c.start <= s < c.end)
        mention = Mention(
            mention_id=Mention.make_id(doc_id, s, e, type_),
            doc_id=doc_id,
            chunk_id=chunk.chunk_id,
            start=s,
            end=e,
            text=doc.text[s:e],
            type=type_,
            page=doc.page_at(s),
        )
        entities.append(
            Entity(entity_id=ids[name], name=name, type=type_, aliases=list(aliases), mentions=[mention])
        )
    relations = []
    for head, type_, tail, quote in RELATIONS:
        s, e = _find(doc.text, quote)
        ev = Evidence(doc_id=doc_id, page=doc.page_at(s), start=s, end=e, quote=doc.text[s:e], agent="test")
        relations.append(
            Relation(
                relation_id=Relation.make_id(ids[head], type_, ids[tail]),
                head=ids[head],
                type=type_,
                tail=ids[tail],
                evidence=[ev],
            )
        )
    save_document_graph(ws, doc_id, entities, relations)
    ws.close()
    return {"doc_id": doc_id, "ids": ids, "text": doc.text}


_EVIDENCE_LINE = re.compile(r"^\[(E\d+)\] \(page \d+\) (.*)$", re.MULTILINE)
_WORD = re.compile(r"\w{4,}")


class QuoteLLM:
    """A scripted model: answers with the evidence passage sharing most words with the question.

    It cites that passage by id, or returns an empty answer when no passage shares a word. It records
    every call. ``cite`` overrides the cited ids (to test that unknown ids are dropped).
    """

    name = "quote-fake"

    def __init__(self, cite: list[str] | None = None) -> None:
        self.calls: list[list[Message]] = []
        self.cite = cite

    async def complete(self, messages: list[Message], output: type, **_: Any) -> Completion:
        """Return the scripted answer as an instance of ``output``."""
        self.calls.append(messages)
        user = messages[-1].content
        question = user.rsplit("Question: ", 1)[1].split("\n", 1)[0]
        words = {w.casefold() for w in _WORD.findall(question)}
        best, best_overlap = None, 0
        for evidence_id, quote in _EVIDENCE_LINE.findall(user):
            overlap = len(words & {w.casefold() for w in _WORD.findall(quote)})
            if overlap > best_overlap:
                best, best_overlap = (evidence_id, quote), overlap
        if self.cite is not None:
            value = output.model_construct(answer="Scripted answer.", evidence_ids=self.cite)
        elif best is None:
            value = output(answer="", evidence_ids=[])
        else:
            value = output(answer=best[1].split(" [graph:")[0], evidence_ids=[best[0]])
        return Completion(value=value, usage=Usage(calls=1))


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Run ``app`` under a real uvicorn server on a free loopback port; yield its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
