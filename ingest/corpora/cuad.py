"""Read CUAD v1 (``master_clauses.csv`` + ``full_contract_txt/``): clause spans per category.

Each CSV row is a contract; each of the 41 category columns holds a Python-list literal of
highlighted spans, which are located in the contract's text file (exact, then whitespace-tolerant;
``<omitted>`` gaps are bridged).
Each category with at least one located span becomes one entity whose type is the category name.
"""

from __future__ import annotations

import ast
import csv
import logging
import re
from pathlib import Path

from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldSpan
from factloom.ingest.errors import CorpusError

log = logging.getLogger(__name__)

CSV_NAME = "master_clauses.csv"
TXT_DIR = "full_contract_txt"


def read_cuad(path: Path) -> list[GoldDoc]:
    """Read a CUAD folder (or its ``master_clauses.csv``) into one ``GoldDoc`` per contract.

    Raises:
        CorpusError: the CSV lacks the ``Filename`` column, a contract text is missing, or a cell is
            not a list literal.
    """
    csv_path = path / CSV_NAME if path.is_dir() else path
    try:
        with csv_path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise CorpusError(csv_path, "-", f"cannot read the CSV ({e})") from e
    if rows and "Filename" not in rows[0]:
        raise CorpusError(csv_path, "header", "missing column 'Filename'")
    return [_contract(csv_path, number, row) for number, row in enumerate(rows, start=2)]


def categories(row: dict[str, str]) -> list[str]:
    """Return the clause category columns of a CUAD row (not ``Filename``, not the answers)."""
    return [c for c in row if c != "Filename" and "Answer" not in c]


def _contract(csv_path: Path, number: int, row: dict[str, str]) -> GoldDoc:
    txt = csv_path.parent / TXT_DIR / f"{Path(row['Filename']).stem}.txt"
    try:
        text = txt.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(csv_path, f"line {number}", f"contract text {txt.name} cannot be read ({e})") from e
    entities = []
    for category in categories(row):
        quotes = _quotes(csv_path, number, category, row[category])
        spans = tuple(dict.fromkeys(s for q in quotes if (s := locate(text, q)) is not None))
        if len(spans) < len(quotes):
            log.debug(
                "%s: %d of %d %r spans not found in the text",
                txt.name,
                len(quotes) - len(spans),
                len(quotes),
                category,
            )
        if spans:
            entities.append(GoldEntity(id=category, type=category, mentions=spans))
    return GoldDoc(doc_id=txt.stem, text=text, entities=tuple(entities))


def _quotes(csv_path: Path, number: int, category: str, cell: str) -> list[str]:
    if not cell.strip():
        return []
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError) as e:
        raise CorpusError(csv_path, f"line {number}", f"column {category!r} is not a list literal") from e
    if not isinstance(value, list):
        raise CorpusError(csv_path, f"line {number}", f"column {category!r} is not a list literal")
    return [str(v) for v in value if str(v).strip()]


def locate(text: str, quote: str) -> GoldSpan | None:
    """Find ``quote`` in ``text``: exactly, else with any whitespace between its words.

    CUAD marks elided text inside a highlight with ``<omitted>``; the pieces are found in order and
    the span runs from the first piece's start to the last piece's end.
    """
    pieces = [p for p in quote.split("<omitted>") if p.strip()]
    start, pos = -1, 0
    for piece in pieces:
        found = _find(text, piece, pos)
        if found is None:
            return None
        start = found[0] if start < 0 else start
        pos = found[1]
    return GoldSpan(start, pos, text[start:pos]) if pieces else None


def _find(text: str, piece: str, pos: int) -> tuple[int, int] | None:
    start = text.find(piece, pos)
    if start >= 0:
        return start, start + len(piece)
    pattern = re.compile(r"\s+".join(re.escape(w) for w in piece.split()))
    match = pattern.search(text, pos)
    return (match.start(), match.end()) if match else None
