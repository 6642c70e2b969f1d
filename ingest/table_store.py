"""The tables of documents in the workspace database: one row per table, one per cell.

Rows are written and deleted with their document (``ingest.store`` calls in here inside its transaction;
deleting a document cascades). Workspaces made before tables were recorded get the two tables on first
use and simply hold no tables for their documents until these are ingested again.
"""

from __future__ import annotations

import sqlite3
import weakref

from factloom.ingest.models import Document, Table, TableCell
from factloom.ingest.workspace import Workspace

DDL = """
CREATE TABLE IF NOT EXISTS doc_tables (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, page INTEGER NOT NULL,
    x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    n_rows INTEGER NOT NULL, n_cols INTEGER NOT NULL, header_rows INTEGER NOT NULL,
    PRIMARY KEY (doc_id, idx)
);
CREATE TABLE IF NOT EXISTS table_cells (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    table_idx INTEGER NOT NULL, "row" INTEGER NOT NULL, col INTEGER NOT NULL,
    x0 REAL, y0 REAL, x1 REAL, y1 REAL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (doc_id, table_idx, "row", col)
);
"""

_ready: weakref.WeakSet[Workspace] = weakref.WeakSet()


def ensure(ws: Workspace) -> sqlite3.Connection:
    """Create the two tables once per opened workspace; return its connection."""
    if ws not in _ready:
        ws.ensure_tables(DDL)
        _ready.add(ws)
    return ws.db


def write_tables(db: sqlite3.Connection, doc: Document) -> None:
    """Insert a document's tables and cells (call inside the document's transaction)."""
    db.executemany(
        "INSERT INTO doc_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (doc.doc_id, i, t.page, *t.bbox, t.start, t.end, t.n_rows, t.n_cols, t.header_rows)
            for i, t in enumerate(doc.tables)
        ],
    )
    db.executemany(
        "INSERT INTO table_cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (doc.doc_id, i, c.row, c.col, *(c.bbox or (None,) * 4), c.start, c.end, c.text)
            for i, t in enumerate(doc.tables)
            for c in t.cells
        ],
    )


def read_tables(ws: Workspace, doc_id: str) -> list[Table]:
    """Return a document's tables in document order, each with its cells row by row."""
    db = ensure(ws)
    cells: dict[int, list[TableCell]] = {}
    q = 'SELECT * FROM table_cells WHERE doc_id = ? ORDER BY table_idx, "row", col'
    for r in db.execute(q, (doc_id,)):
        box = None if r["x0"] is None else (r["x0"], r["y0"], r["x1"], r["y1"])
        cells.setdefault(r["table_idx"], []).append(
            TableCell(row=r["row"], col=r["col"], bbox=box, start=r["start"], end=r["end"], text=r["text"])
        )
    return [
        Table(
            page=r["page"],
            bbox=(r["x0"], r["y0"], r["x1"], r["y1"]),
            start=r["start"],
            end=r["end"],
            n_rows=r["n_rows"],
            n_cols=r["n_cols"],
            header_rows=r["header_rows"],
            cells=cells.get(r["idx"], []),
        )
        for r in db.execute("SELECT * FROM doc_tables WHERE doc_id = ? ORDER BY idx", (doc_id,))
    ]
