"""``factloom ingest``, ``factloom search`` and ``factloom inspect``: fill a workspace and look into it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from factloom.graphs.cli.shared import chroma_url_option, user_errors, wait_option

workspace_option = click.option(
    "-w", "--workspace", "root", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="The workspace folder.",
)


@click.command()
@click.argument("paths", nargs=-1, required=True)
@workspace_option
@click.option("--password", default=None, help="Password of encrypted PDFs.")
@click.option("--chunk-tokens", default=512, show_default=True, type=click.IntRange(min=32),
              help="Chunk size in tokens.")
@click.option("--overlap", "overlap_tokens", default=64, show_default=True, type=click.IntRange(min=0),
              help="Tokens of the previous chunk repeated at the start of the next one.")
@click.option("--max-mb", default=512, show_default=True, type=click.IntRange(min=1),
              help="Refuse files larger than this many MB.")
@click.option("--tables/--no-tables", default=True, show_default=True,
              help="Find tables (pages with a caption or lines in columns) and write them as rows of cells.")
@wait_option
@chroma_url_option
@user_errors
def ingest(
    paths: tuple[str, ...], root: Path, password: str | None, chunk_tokens: int, overlap_tokens: int,
    max_mb: int, tables: bool, wait: float, chroma_url: str | None,
) -> None:
    """Read PDF, .txt and .md files (PATHS: files, folders, globs) into the workspace."""
    from tqdm import tqdm

    from factloom.ingest.lock import workspace_lock
    from factloom.ingest.pipeline import FileResult, ingest_paths
    from factloom.ingest.sources import expand_paths
    from factloom.ingest.workspace import Workspace

    if overlap_tokens >= chunk_tokens:
        raise click.BadParameter("must be smaller than --chunk-tokens", param_hint="--overlap")
    total = len(expand_paths(list(paths)).files)
    with Workspace(root, chroma_url=chroma_url) as ws, workspace_lock(ws, wait=wait), tqdm(
        total=total, unit="file", desc="ingest", disable=None, leave=False
    ) as bar:

        def step(result: FileResult) -> None:
            bar.update(1)
            bar.set_postfix_str(Path(result.path).name[-30:])

        report = ingest_paths(
            ws, list(paths), password=password, chunk_tokens=chunk_tokens, overlap_tokens=overlap_tokens,
            max_bytes=max_mb * 2**20, progress=step, tables=tables,
        )
    if report.reindexed:
        click.echo(f"re-indexed {report.reindexed} chunks of earlier ingests: every part of each is now "
                   "searchable", err=True)
    for r in report.ingested:
        for w in r.warnings:
            click.echo(f"warning: {w}", err=True)
    for r in report.failed:
        click.echo(f"error: {r.message}", err=True)
    click.echo(
        f"{len(report.ingested)} ingested ({report.pages} pages, {report.chunks} chunks), "
        f"{len(report.skipped)} unchanged, {len(report.failed)} failed; workspace {root}"
    )
    if report.failed:
        raise SystemExit(1)


@click.command()
@click.argument("query")
@workspace_option
@click.option("-k", "--k", "k", default=5, show_default=True, type=click.IntRange(min=1),
              help="Number of chunks to show.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per hit.")
@chroma_url_option
@user_errors
def search(query: str, root: Path, k: int, as_json: bool, chroma_url: str | None) -> None:
    """Show the chunks most similar to QUERY, with their document, page and score."""
    from factloom.ingest.errors import UnknownChunkError
    from factloom.ingest.index import VectorIndex
    from factloom.ingest.pipeline import CHUNKS
    from factloom.ingest.store import get_chunk, list_documents
    from factloom.ingest.workspace import Workspace

    with Workspace(root, create=False, chroma_url=chroma_url) as ws:
        docs = {d.doc_id: d for d in list_documents(ws)}
        if not docs:
            click.echo(f"no documents in {root}; add some with `factloom ingest PATH -w {root}`", err=True)
            return
        index = VectorIndex(ws, CHUNKS)
        if index.unwindowed_ids():
            click.echo(f"warning: {root}: chunks indexed by an older factloom are searchable by their first "
                       f"256 word pieces only; run `factloom ingest PATHS -w {root}` once to re-index them",
                       err=True)
        for rank, hit in enumerate(index.query(query, k=k), start=1):
            try:
                chunk = get_chunk(ws, hit.id)
            except UnknownChunkError:
                continue  # a vector left by an interrupted re-ingest: SQLite is the record
            doc = docs[chunk.doc_id]
            row = {"rank": rank, "score": round(hit.score, 4), "doc_id": chunk.doc_id, "path": doc.path,
                   "title": doc.title, "page": chunk.page, "section": chunk.section,
                   "chunk_id": chunk.chunk_id, "start": chunk.start, "end": chunk.end, "text": chunk.text}
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
                continue
            where = f"{Path(doc.path).name} p.{chunk.page}" + (f" § {chunk.section}" if chunk.section else "")
            snippet = " ".join(chunk.text.split())[:240]
            click.echo(f"{rank}. [{hit.score:.3f}] {where}  ({chunk.chunk_id})\n   {snippet}")


@click.group()
def inspect() -> None:
    """Print what a workspace holds: documents, chunks, tables, a document's text."""


@inspect.command("docs")
@workspace_option
@user_errors
def inspect_docs(root: Path) -> None:
    """List documents, one JSON object per line.

    ``cleaning`` gives the characters each cleaning rule removed from the document's text (running
    headers and footers, page numbers, blocks without letters or digits) and those of running text kept
    because they were all their page held; it is null for documents ingested before it was recorded.
    """
    from factloom.ingest.store import get_cleaning, list_documents
    from factloom.ingest.workspace import Workspace

    with Workspace(root, create=False) as ws:
        for d in list_documents(ws):
            row = {"doc_id": d.doc_id, "path": d.path, "title": d.title, "pages": d.pages, "chunks": d.chunks,
                   "cleaning": get_cleaning(ws, d.doc_id)}
            click.echo(json.dumps(row, ensure_ascii=False))


@inspect.command("chunks")
@workspace_option
@click.option("--doc", "doc_id", default=None, help="Only the chunks of this document.")
@user_errors
def inspect_chunks(root: Path, doc_id: str | None) -> None:
    """List chunks, one JSON object per line; offsets index `inspect text`."""
    from factloom.ingest.store import get_chunks, get_document
    from factloom.ingest.workspace import Workspace

    with Workspace(root, create=False) as ws:
        if doc_id is not None:
            get_document(ws, doc_id)  # an unknown id is an error, not an empty list
        for c in get_chunks(ws, doc_id):
            row = {"doc_id": c.doc_id, "chunk_id": c.chunk_id, "page": c.page, "start": c.start,
                   "end": c.end, "text": c.text, "section": c.section}
            click.echo(json.dumps(row, ensure_ascii=False))


@inspect.command("text")
@click.argument("doc_id")
@workspace_option
@user_errors
def inspect_text(doc_id: str, root: Path) -> None:
    """Print the text of document DOC_ID, the string that chunk offsets index."""
    from factloom.ingest.store import get_document
    from factloom.ingest.workspace import Workspace

    with Workspace(root, create=False) as ws:
        click.echo(get_document(ws, doc_id).text, nl=False)


@inspect.command("tables")
@click.argument("doc_id")
@workspace_option
@user_errors
def inspect_tables(doc_id: str, root: Path) -> None:
    """List the tables of document DOC_ID, one JSON object per line.

    "rows" are the cells' texts row by row (the first "header_rows" rows are the header); each of
    "cells" gives its page box, its span in `inspect text`, its row and column headers and the unit
    its column header gives (``Dose (mg)``: mg).
    """
    from factloom.ingest.store import get_document
    from factloom.ingest.workspace import Workspace

    with Workspace(root, create=False) as ws:
        doc = get_document(ws, doc_id)
    for i, t in enumerate(doc.tables, start=1):
        cells = [
            {"row": c.row, "col": c.col, "bbox": c.bbox, "start": c.start, "end": c.end, "text": c.text,
             "row_header": t.row_header(c), "column_header": t.column_header(c), "unit": t.unit(c)}
            for c in t.cells
        ]
        row = {"table": i, "page": t.page, "bbox": t.bbox, "start": t.start, "end": t.end, "n_rows": t.n_rows,
               "n_cols": t.n_cols, "header_rows": t.header_rows, "rows": t.rows(), "cells": cells}
        click.echo(json.dumps(row, ensure_ascii=False))
