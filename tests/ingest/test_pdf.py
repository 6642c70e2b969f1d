"""The PDF reader on the eight shared PDFs and on PDFs the tests make (layouts and bad inputs)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from factloom.ingest.errors import (
    CorruptPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    ImageOnlyPdfError,
    NotAPdfError,
)
from factloom.ingest.models import Document
from factloom.ingest.pdf import parse_pdf
from tests.ingest import pdfgen


def parse(path: Path, password: str | None = None) -> Document:
    return parse_pdf(path, doc_id="doc_test", content_hash="0" * 64, password=password)


@pytest.fixture(scope="module")
def shared_docs(shared_pdfs: list[Path]) -> dict[str, Document]:
    return {p.name: parse(p) for p in shared_pdfs}


def test_every_page_of_the_shared_pdfs_is_mapped(shared_pdfs: list[Path], shared_docs: dict[str, Document]):
    for path in shared_pdfs:
        doc = shared_docs[path.name]
        with pymupdf.open(path) as pdf:
            assert [p.number for p in doc.pages] == list(range(1, pdf.page_count + 1))
        assert len(doc.text) > 5000, path.name
        for page in doc.pages:
            assert 0 <= page.start <= page.end <= len(doc.text)
        for block in doc.blocks:
            page = doc.pages[block.page - 1]
            assert page.start <= block.start < block.end <= page.end
            assert doc.page_at(block.start) == block.page
            assert doc.text[block.start : block.end].strip()


def test_sections_start_at_heading_blocks(shared_docs: dict[str, Document]):
    for name, doc in shared_docs.items():
        heading_starts = {b.start for b in doc.blocks if b.is_heading}
        assert all(s.start in heading_starts for s in doc.sections), name
        assert all(doc.text.startswith(s.title, s.start) for s in doc.sections), name
    acl = shared_docs["scientific_ACL-N18-3011_literature_graph_semantic_scholar.pdf"]
    titles = [s.title for s in acl.sections]
    assert "1 Introduction" in titles and "2 Structure of The Literature Graph" in titles
    assert acl.title == "Construction of the Literature Graph in Semantic Scholar"


def test_running_headers_and_page_numbers_are_removed(shared_docs: dict[str, Document]):
    bmc = shared_docs["medical_BMCHealthServRes-2014_quality_improvement_Malawi.pdf"].text
    assert "Page 2 of 10" not in bmc
    assert "Agyeman-Duah et al. BMC Health Services Research 2014" not in bmc
    scotus = shared_docs["legal_judgement_SCOTUS-2013_Tarrant_v_Herrmann.pdf"].text
    assert "Cite as: 569 U. S." not in scotus
    assert "Tarrant Regional Water District" in scotus  # the body text itself stays


def test_soft_hyphens_at_line_ends_are_joined(shared_docs: dict[str, Document]):
    scotus = shared_docs["legal_judgement_SCOTUS-2013_Tarrant_v_Herrmann.pdf"].text
    assert "[t]o provide an equitable apportionment among the Signatory" in scotus
    assert "terminus in Louisiana" in scotus
    assert "\xad" not in scotus


def test_generated_running_header_footer_removed_and_headings_found(tmp_path: Path):
    doc = parse(pdfgen.headed_pdf(tmp_path / "headed.pdf"))
    assert "Journal of Invented Results" not in doc.text
    assert [s.title for s in doc.sections] == [f"Section {i} Findings" for i in range(1, 5)]
    for i, page in enumerate(doc.pages, start=1):
        assert doc.text[page.start : page.end].startswith(f"Section {i} Findings")
        assert not doc.text[page.start : page.end].rstrip().endswith(str(i))


def test_two_columns_are_read_one_after_the_other(tmp_path: Path):
    doc = parse(pdfgen.two_column_pdf(tmp_path / "columns.pdf"))
    text = doc.text
    assert text.startswith("A Title Across Both Columns")
    assert text.index("Left column sentence 12") < text.index("Right column sentence 1 ")
    assert text.index("Left column sentence 1 ") < text.index("Left column sentence 2 ")


def test_hyphenation_joined_and_ligatures_expanded(tmp_path: Path):
    text = parse(pdfgen.hyphen_ligature_pdf(tmp_path / "typeset.pdf")).text
    assert "received treatment with aspirin" in text
    assert "COVID-19 ward" in text
    assert "The final flow of office effort" in text
    assert not any("\ufb00" <= c <= "\ufb06" for c in text)


def test_encrypted_pdf_needs_the_password(tmp_path: Path):
    path = pdfgen.encrypted_pdf(tmp_path / "locked.pdf", "s3cret")
    with pytest.raises(EncryptedPdfError, match=r"locked\.pdf: encrypted; pass --password"):
        parse(path)
    with pytest.raises(EncryptedPdfError, match="wrong password"):
        parse(path, password="nope")
    assert "Secret clause" in parse(path, password="s3cret").text


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (pdfgen.not_a_pdf, NotAPdfError, "not a PDF"),
        (pdfgen.truncated_pdf, CorruptPdfError, "damaged or truncated"),
        (pdfgen.zero_page_pdf, EmptyPdfError, "no pages"),
        (pdfgen.image_only_pdf, ImageOnlyPdfError, r"no text layer on any page \(1-2; a scan\?\)"),
    ],
)
def test_bad_pdfs_raise_a_specific_error_naming_the_file(tmp_path: Path, make, error, message):
    path = make(tmp_path / "bad.pdf")
    with pytest.raises(error, match=message) as info:
        parse(path)
    assert str(info.value).startswith("bad.pdf: ")
    assert "\n" not in str(info.value)


def test_a_scanned_page_among_text_pages_is_marked(tmp_path: Path):
    doc = parse(pdfgen.mixed_scan_pdf(tmp_path / "mixed.pdf"))
    assert [p.has_text for p in doc.pages] == [True, False]
    assert "first page has a text layer" in doc.text
