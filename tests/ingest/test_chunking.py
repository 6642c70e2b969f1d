"""Chunks: exact offsets, whole sentences, token budget, section starts, overlap, stable ids."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from factloom.ingest.chunking import chunk_document, chunk_id
from factloom.ingest.models import Document, Page, Section
from factloom.ingest.pdf import parse_pdf
from factloom.ingest.sentences import sentence_bounds


def make_doc(text: str, sections: list[Section] | None = None) -> Document:
    page = Page(number=1, width=0, height=0, start=0, end=len(text))
    return Document(doc_id="doc_t", path="t.txt", title="t", content_hash="ab" * 32, text=text,
                    pages=[page], sections=sections or [])


@pytest.fixture(scope="module")
def shared_chunked(shared_pdfs: list[Path]) -> list[tuple[Document, list]]:
    docs = [parse_pdf(p, doc_id="doc_x", content_hash=p.name) for p in shared_pdfs]
    return [(d, chunk_document(d)) for d in docs]


def test_chunk_offsets_index_the_document_text(shared_chunked):
    for doc, chunks in shared_chunked:
        assert chunks, doc.path
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.page == doc.page_at(c.start)
            assert c.section == doc.section_at(c.start)
        assert [c.index for c in chunks] == list(range(len(chunks)))


def test_chunks_cover_the_text_and_stay_within_budget(shared_chunked):
    for doc, chunks in shared_chunked:
        covered = sum(len(c.text) for c in chunks)
        assert covered >= 0.95 * len(doc.text.replace("\n\n", ""))  # overlap aside, nothing is lost
        assert all(c.n_tokens <= 512 for c in chunks)
        assert all(b.start >= a.start and b.end > a.end for a, b in itertools.pairwise(chunks))


def test_chunks_never_end_inside_a_sentence(shared_chunked):
    for doc, chunks in shared_chunked:
        ends = {e for _, e in sentence_bounds(doc.text)}
        starts = {s for s, _ in sentence_bounds(doc.text)}
        assert all(c.end in ends and c.start in starts for c in chunks), doc.path


def test_sentence_bounds_keep_abbreviations_and_initials_inside():
    text = "Dr. Smith met R. G. Douglas (e.g. in Fig. 2) on Monday. The U. S. Court agreed.\n\nNext one!"
    spans = [text[s:e] for s, e in sentence_bounds(text)]
    assert spans == [
        "Dr. Smith met R. G. Douglas (e.g. in Fig. 2) on Monday.",
        "The U. S. Court agreed.",
        "Next one!",
    ]
    paragraph_end = "It was shown by Okafor et al.\n\nThe next paragraph."
    assert len(sentence_bounds(paragraph_end)) == 2


def test_a_section_heading_starts_a_new_chunk_without_overlap():
    first = "Alpha beta gamma delta epsilon. " * 20
    text = first + "\n\nMethods\n\n" + "We measured things carefully. " * 20
    heading = text.index("Methods")
    doc = make_doc(text.strip(), [Section(title="Methods", level=1, start=heading)])
    chunks = chunk_document(doc, chunk_tokens=400, overlap_tokens=50)
    assert [c.start for c in chunks] == [0, heading]
    assert chunks[1].section == "Methods"


def test_long_sections_overlap_by_whole_sentences():
    text = " ".join(f"Sentence number {i} tells a short fact." for i in range(200))
    chunks = chunk_document(make_doc(text), chunk_tokens=100, overlap_tokens=20)
    assert len(chunks) > 5
    for a, b in itertools.pairwise(chunks):
        assert a.start < b.start < a.end  # overlap
        assert text[b.start : a.end].endswith(".") and text[b.start : b.start + 8] == "Sentence"


def test_an_overlong_sentence_is_cut_at_word_ends():
    text = " ".join(f"cell{i}" for i in range(3000))  # a table without a single full stop
    chunks = chunk_document(make_doc(text), chunk_tokens=128, overlap_tokens=16)
    assert len(chunks) > 10
    assert all(c.n_tokens <= 128 for c in chunks)
    assert all(text[c.start : c.end] == c.text and not c.text.startswith(" ") for c in chunks)
    assert all(c.end == len(text) or text[c.end] == " " for c in chunks)


def test_chunk_ids_depend_on_content_and_offsets_only():
    doc = make_doc("One sentence here. Another sentence there. " * 50)
    again = chunk_document(doc, chunk_tokens=64, overlap_tokens=8)
    assert [c.chunk_id for c in chunk_document(doc, chunk_tokens=64, overlap_tokens=8)] == [
        c.chunk_id for c in again
    ]
    assert len({c.chunk_id for c in again}) == len(again)
    assert chunk_id("ab" * 32, 0, 10) != chunk_id("cd" * 32, 0, 10)
