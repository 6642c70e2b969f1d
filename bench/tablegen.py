"""A PDF made with pymupdf holding two known tables, for bench/tables.py and the table tests.

Page 1: a paragraph, the caption "Table 1 Adverse events by arm", a table ruled only above and below
its header and at its end (the usual style of journals), and a closing paragraph. Page 2: a dosing
schedule ruled as a full grid. The cells' texts are ``ADVERSE_EVENTS`` and ``DOSING``.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

A4 = pymupdf.paper_rect("a4")
ADVERSE_EVENTS = [
    ["Adverse event", "Metformin (n = 120)", "Placebo (n = 118)", "p value"],
    ["Nausea", "14 (11.7%)", "5 (4.2%)", "0.03"],
    ["Diarrhoea", "22 (18.3%)", "9 (7.6%)", "0.01"],
    ["Headache", "8 (6.7%)", "10 (8.5%)", "0.61"],
    ["Lactic acidosis", "0", "0", "n/a"],
]
DOSING = [
    ["Week", "Dose (mg)", "Frequency"],
    ["1-2", "500", "once daily"],
    ["3-4", "1000", "twice daily"],
    ["5-12", "2000", "twice daily"],
]
INTRO = (
    "Patients with type 2 diabetes were randomised to metformin or placebo for twelve weeks. "
    "Adverse events were recorded at every visit and are summarised below."
)
OUTRO = (
    "Gastrointestinal events were more frequent with metformin; no case of lactic acidosis occurred. "
    "Patients taking warfarin were excluded."
)


def _table(page: pymupdf.Page, rows: list[list[str]], top: float, widths: list[float], grid: bool) -> float:
    """Draw a table from ``top``; return the y below it."""
    left, height = 72.0, 20.0
    right = left + sum(widths)
    xs = [left + sum(widths[:i]) for i in range(len(widths) + 1)]
    for r, row in enumerate(rows):
        y = top + r * height
        for c, text in enumerate(row):
            font = "hebo" if r == 0 else "helv"
            page.insert_text((xs[c] + 4, y + 14), text, fontsize=9.5, fontname=font)
    bottom = top + len(rows) * height
    rules = [top, top + height, bottom] if not grid else [top + r * height for r in range(len(rows) + 1)]
    for y in rules:
        page.draw_line((left, y), (right, y), width=0.8)
    if grid:
        for x in xs:
            page.draw_line((x, top), (x, bottom), width=0.8)
    return bottom


def table_pdf(path: Path) -> Path:
    """Write the two-page PDF with the adverse-events table and the dosing grid."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_text((72, 80), "Metformin in Adults with Type 2 Diabetes", fontsize=15, fontname="hebo")
    page.insert_textbox(pymupdf.Rect(72, 100, A4.width - 72, 160), INTRO, fontsize=10.5)
    page.insert_text((72, 185), "Table 1 Adverse events by arm", fontsize=10, fontname="hebo")
    bottom = _table(page, ADVERSE_EVENTS, 195, [130, 120, 120, 70], grid=False)
    page.insert_textbox(pymupdf.Rect(72, bottom + 20, A4.width - 72, bottom + 80), OUTRO, fontsize=10.5)
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_textbox(
        pymupdf.Rect(72, 72, A4.width - 72, 120),
        "The dose was raised every two weeks as shown in Table 2.",
        fontsize=10.5,
    )
    page.insert_text((72, 140), "Table 2 Dosing schedule", fontsize=10, fontname="hebo")
    _table(page, DOSING, 150, [80, 100, 120], grid=True)
    doc.save(path)
    return path


PARTIES = [
    ["Party", "Role", "Payment (USD)"],
    ["Acme Corporation", "Supplier", "120,000"],
    ["Blackbox Stocks Inc.", "Distributor", "45,500"],
    ["Northwind Traders", "Guarantor", "0"],
]


def uncaptioned_pdf(path: Path) -> Path:
    """Write a one-page PDF whose table (``PARTIES``, journal-style rules) has no "Table N" caption."""
    doc = pymupdf.open()
    page = doc.new_page(width=A4.width, height=A4.height)
    page.insert_textbox(
        pymupdf.Rect(72, 72, A4.width - 72, 130),
        "This agreement is made between the following parties, who shall be paid as set out below.",
        fontsize=10.5,
    )
    bottom = _table(page, PARTIES, 140, [150, 110, 110], grid=False)
    page.insert_textbox(
        pymupdf.Rect(72, bottom + 20, A4.width - 72, bottom + 80),
        "Payments are due within thirty days of the signing of this agreement.",
        fontsize=10.5,
    )
    doc.save(path)
    return path
