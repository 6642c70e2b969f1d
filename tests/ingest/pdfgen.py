"""PDFs made with pymupdf for the ingest tests: layouts to read and bad inputs to refuse."""

from __future__ import annotations

from pathlib import Path

import pymupdf

A4 = pymupdf.paper_rect("a4")


def text_pdf(path: Path, pages: list[str], *, fontsize: float = 11) -> Path:
    """Write one text box per page."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_textbox(pymupdf.Rect(72, 100, A4.width - 72, A4.height - 100), text, fontsize=fontsize)
    doc.save(path)
    return path


def headed_pdf(path: Path, n_pages: int = 4) -> Path:
    """Write pages with a running header, a page-number footer, a heading and body text."""
    doc = pymupdf.open()
    for i in range(1, n_pages + 1):
        page = doc.new_page(width=A4.width, height=A4.height)
        page.insert_text((72, 40), "Journal of Invented Results, Vol. 7", fontsize=8)
        page.insert_text((A4.width / 2, A4.height - 30), str(i), fontsize=8)
        page.insert_text((72, 110), f"Section {i} Findings", fontsize=15, fontname="hebo")
        body = f"Body text of page {i} reports the results of experiment {i}. " * 6
        page.insert_textbox(pymupdf.Rect(72, 130, A4.width - 72, 400), body, fontsize=10)
    doc.save(path)
    return path


def two_column_pdf(path: Path) -> Path:
    """Write a page with a full-width title and two columns whose lines interleave in y."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_textbox(pymupdf.Rect(72, 60, A4.width - 72, 90), "A Title Across Both Columns",
                        fontsize=16, fontname="hebo")
    mid = A4.width / 2
    left = " ".join(f"Left column sentence {i} is about alpha." for i in range(1, 13))
    right = " ".join(f"Right column sentence {i} is about beta." for i in range(1, 13))
    page.insert_textbox(pymupdf.Rect(72, 110, mid - 12, 500), left, fontsize=10)
    page.insert_textbox(pymupdf.Rect(mid + 12, 110, A4.width - 72, 500), right, fontsize=10)
    doc.save(path)
    return path


def hyphen_ligature_pdf(path: Path) -> Path:
    """Write a paragraph with a word hyphenated at a line end and words set with ligature glyphs."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    lines = ["The patients received treat-", "ment with aspirin every day and the", "COVID-",
             "19 ward stayed open."]
    page.insert_text((72, 100), "\n".join(lines), fontsize=11)
    writer = pymupdf.TextWriter(page.rect)
    writer.append((72, 200), "The ﬁnal ﬂow of oﬃce eﬀort was measured.", font=pymupdf.Font("tiro"),
                  fontsize=11)
    writer.write_text(page)
    doc.save(path)
    return path


def encrypted_pdf(path: Path, password: str) -> Path:
    """Write a text PDF that needs ``password`` to open."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Secret clause: the parties agree on everything.")
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password)
    return path


def image_only_pdf(path: Path, n_pages: int = 2) -> Path:
    """Write pages that hold only an image (a scan without a text layer)."""
    doc = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 40), False)
    pix.clear_with(180)
    for _ in range(n_pages):
        doc.new_page().insert_image(pymupdf.Rect(72, 72, 372, 272), pixmap=pix)
    doc.save(path)
    return path


def mixed_scan_pdf(path: Path) -> Path:
    """Write a text page followed by an image-only page."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "The first page has a text layer. It says so here.")
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 40), False)
    pix.clear_with(120)
    doc.new_page().insert_image(pymupdf.Rect(72, 72, 372, 272), pixmap=pix)
    doc.save(path)
    return path


def truncated_pdf(path: Path) -> Path:
    """Write the first half of a five-page text PDF (a download cut short)."""
    doc = pymupdf.open()
    for i in range(5):
        doc.new_page().insert_text((72, 72), f"Page {i} says hello to the reader. " * 3)
    data = doc.tobytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def zero_page_pdf(path: Path) -> Path:
    """Write a syntactically valid PDF with an empty page tree (pymupdf refuses to save one)."""
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    return path


def not_a_pdf(path: Path) -> Path:
    """Write a text file with a .pdf name."""
    path.write_text("This is a plain text file pretending to be a PDF.\n", encoding="utf-8")
    return path
