"""Facts read from a table: the candidate a model proposes, and the checks that need no LLM.

A table candidate names its cell by row and column (their labels, ``agents.table_unit``) and copies the
value. It becomes a fact only when the value is in that cell as written (whole words, spacing and case
aside) and the cell's row header, column header, the cell or the caption names both head and tail. The
fact's evidence quotes the value's cell and cites it (``tools.extraction.kg.CellCitation``): its place, its
headers, the value as printed, the unit its header gives and the boxes of the three cells.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from factloom.agents.facts import Fact
from factloom.agents.table_unit import TableUnit
from factloom.ingest.models import TableCell
from factloom.tools.extraction.kg import CellCitation, Evidence, Mention

AGENT = "table_reasoner"

REASON_NO_ROW = "the table has no row {row!r}"
REASON_NO_COLUMN = "the table has no column {column!r}"
REASON_NOT_IN_CELL = (
    "the value {value!r} is not in the cell of row {row!r}, column {column!r}: it reads {cell!r}"
)
REASON_UNNAMED = "neither the cell, its headers nor the caption name {name!r}"


class TableCandidate(BaseModel):
    """A relation the table reasoner proposed, resting on one cell (not yet checked)."""

    model_config = ConfigDict(frozen=True)

    head: Mention
    type: str
    tail: Mention
    row: str
    column: str
    value: str
    reasoning: str = ""

    def describe(self) -> str:
        """Return the proposal as one line for logs."""
        cell = f"{self.row} × {self.column}: {self.value}"
        return f"{self.head.text} --{self.type}--> {self.tail.text} [{cell}]"


class TableRejection(BaseModel):
    """A table candidate that failed a check, and why."""

    model_config = ConfigDict(frozen=True)

    candidate: TableCandidate
    reason: str


def _words(text: str) -> str:
    return " ".join(text.replace("−", "-").replace("–", "-").split()).casefold()


def value_in(value: str, cell: str) -> tuple[int, int] | None:
    """Return where ``value`` stands in ``cell`` as whole words (spacing, case and dashes aside), else None.

    ``11.7%`` is in ``14 (11.7%)``; ``1`` and ``4 (11`` are not.
    """
    words = _words(value).split(" ")
    if not words or not words[0]:
        return None
    gap = r"\s+"
    body = gap.join(re.escape(w).replace("\\-", "[-−–]") for w in words)
    m = re.search(rf"(?<![\w.]){body}(?![\w]|\.\d)", cell, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def _header_cells(unit: TableUnit, cell: TableCell) -> list[TableCell]:
    t = unit.table
    row_head = t.cell(cell.row, 0) if cell.col > 0 else None
    col_heads = [t.cell(r, cell.col) for r in range(t.header_rows)] if cell.row >= t.header_rows else []
    return [c for c in (row_head, *col_heads) if c is not None and c.text]


def _nearest(mentions: Sequence[Mention], text: str, spans: Sequence[TableCell]) -> Mention | None:
    same = [m for m in mentions if m.text == text]
    if not same:
        return None
    inside = [m for m in same if any(c.start <= m.start and m.end <= c.end for c in spans)]
    return min(inside or same, key=lambda m: (abs(m.start - spans[0].start), m.start))


def check_table_candidate(
    cand: TableCandidate, unit: TableUnit, page: int, mentions: Sequence[Mention]
) -> Fact | TableRejection:
    """Find the candidate's cell, check its value and names; return a fact citing the cell, or why not."""
    rows, columns = unit.row_labels(), unit.column_labels()
    if cand.row not in rows:
        return TableRejection(candidate=cand, reason=REASON_NO_ROW.format(row=cand.row))
    if cand.column not in columns:
        return TableRejection(candidate=cand, reason=REASON_NO_COLUMN.format(column=cand.column))
    table = unit.table
    cell = table.cell(rows[cand.row], columns[cand.column])
    found = value_in(cand.value, cell.text) if cell is not None else None
    if cell is None or found is None:
        text = cell.text if cell is not None else ""
        reason = REASON_NOT_IN_CELL.format(value=cand.value, row=cand.row, column=cand.column, cell=text)
        return TableRejection(candidate=cand, reason=reason)
    headers = _header_cells(unit, cell)
    named = " ".join([unit.caption, cell.text, *(c.text for c in headers)]).casefold()
    for name in (cand.head.text, cand.tail.text):
        if name.casefold() not in named:
            return TableRejection(candidate=cand, reason=REASON_UNNAMED.format(name=name))
    around = [cell, *headers]
    citation = CellCitation(
        table=unit.index,
        row=cell.row,
        col=cell.col,
        row_header=table.row_header(cell),
        column_header=table.column_header(cell),
        value=cell.text[found[0] : found[1]],
        unit=table.unit(cell),
        boxes=[c.bbox for c in around if c.bbox is not None],
    )
    evidence = Evidence(
        doc_id=unit.chunk.doc_id,
        page=page,
        start=cell.start,
        end=cell.end,
        quote=cell.text,
        chunk_id=unit.chunk.chunk_id,
        agent=AGENT,
        cell=citation,
    )
    return Fact(
        head=_nearest(mentions, cand.head.text, around) or cand.head,
        type=cand.type,
        tail=_nearest(mentions, cand.tail.text, around) or cand.tail,
        evidence=evidence,
        reasoning=cand.reasoning,
        confidence=0.0,
    )


def cell_statement(fact: Fact, unit: TableUnit) -> tuple[str, str]:
    """Return what the verifier reads of a table fact: the cell (headers and value), and its rows in context.

    The context is the caption, the header row(s) and the cell's row, as the table prints them.
    """
    cite = fact.evidence.cell
    if cite is None:
        raise ValueError("not a table fact: its evidence cites no cell")
    t = unit.table
    rows = t.rows()
    lines = [" | ".join(rows[r]) for r in range(t.header_rows)] + [" | ".join(rows[cite.row])]
    context = "\n".join([unit.caption, *lines] if unit.caption else lines)
    return cite.describe(), context
