"""Small real documents for the extraction tests: a Document and its chunks, split at blank lines."""

from __future__ import annotations

import hashlib

from langgraph.runtime import Runtime

from factloom.agents.context import AgentContext, AgentSettings
from factloom.ingest.models import Chunk, Document, Page
from factloom.tools.extraction.kg import Mention
from factloom.tools.extraction.schema import load_schema

NEWS_TEXT = (
    "John Smith works for Acme Corporation (ACME) in Boston. "
    "He joined the company in 1999.\n\n"
    "Mary Jones lives in Paris. Smith met Jones in Paris last year.\n\n"
    "ACME is based in Boston, a city in Massachusetts."
)


def make_document(text: str = NEWS_TEXT, doc_id: str = "doc_test") -> tuple[Document, list[Chunk]]:
    """Return a one-page document whose chunks are its blank-line separated paragraphs."""
    chunks, start = [], 0
    for i, para in enumerate(text.split("\n\n")):
        begin = text.index(para, start)
        end = begin + len(para)
        cid = f"{doc_id}_c{i}"
        chunks.append(Chunk(chunk_id=cid, doc_id=doc_id, index=i, start=begin, end=end, text=para, page=1))
        start = end
    pages = [Page(number=1, width=612, height=792, start=0, end=len(text))]
    digest = hashlib.sha256(text.encode()).hexdigest()
    doc = Document(doc_id=doc_id, path="test.txt", title="test", content_hash=digest, text=text, pages=pages)
    return doc, chunks


def runtime(llm: object, schema: str = "news", **settings: object) -> Runtime[AgentContext]:
    """Return the LangGraph runtime an agent node receives, around ``llm`` and a schema preset."""
    context = AgentContext(llm=llm, schema=load_schema(schema), settings=AgentSettings(**settings))  # type: ignore[arg-type]
    return Runtime(context=context)


def mention(doc: Document, chunk: Chunk, text: str, type_: str, occurrence: int = 0) -> Mention:
    """Return the mention of the ``occurrence``-th ``text`` in ``chunk``."""
    start = chunk.start - 1
    for _ in range(occurrence + 1):
        start = doc.text.index(text, start + 1)
    end = start + len(text)
    return Mention(
        mention_id=Mention.make_id(doc.doc_id, start, end, type_),
        doc_id=doc.doc_id,
        chunk_id=chunk.chunk_id,
        start=start,
        end=end,
        text=text,
        type=type_,
        page=1,
    )
