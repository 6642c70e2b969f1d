"""A 1,000-page PDF: reading and chunking stay linear in time and bounded in memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pymupdf
import pytest

pytestmark = pytest.mark.slow

MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from factloom.ingest.chunking import chunk_document
    from factloom.ingest.sources import read_document
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    doc = read_document(Path(sys.argv[1]))
    chunks = chunk_document(doc)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    last = doc.text[chunks[-1].start:chunks[-1].end] == chunks[-1].text
    print(json.dumps({"pages": len(doc.pages), "chunks": len(chunks), "seconds": seconds,
                      "rss_growth_mb": (peak - base) / 1024, "text_mb": len(doc.text) / 2**20, "last": last}))
    """
)
PARAGRAPH = (
    "Clause {n}. The supplier shall deliver the goods described in schedule {n} to the buyer's "
    "warehouse within thirty days of the order, and the buyer shall pay each invoice within sixty days. "
)


def make_pdf(path: Path, pages: int) -> Path:
    """Write a text PDF of ``pages`` pages, each about 1,800 characters."""
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(60, 60, 550, 780), PARAGRAPH.format(n=n) * 8, fontsize=9)
    doc.save(path)
    return path


def measure(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def test_a_thousand_page_pdf_is_read_in_linear_time_and_bounded_memory(tmp_path: Path) -> None:
    small = measure(make_pdf(tmp_path / "p100.pdf", 100))
    big = measure(make_pdf(tmp_path / "p1000.pdf", 1000))
    assert big["pages"] == 1000 and big["last"], big
    assert big["chunks"] >= 9 * small["chunks"]
    assert big["seconds"] < 15 * small["seconds"] + 3, f"not linear: {small} vs {big}"
    assert big["rss_growth_mb"] < 40 * big["text_mb"] + 150, f"memory not bounded by the text: {big}"
