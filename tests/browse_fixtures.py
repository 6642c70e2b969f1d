"""A workspace to browse: the question-answering workspace of query_fixtures.py plus a PDF with tables.

The table PDF (bench/tablegen.py) is ingested for real (pymupdf finds its tables) and gets a
hand-made document graph whose evidence is a table row: Metformin causes diarrhoea, quoted as the row
``Diarrhoea | 22 (18.3%) | 9 (7.6%) | 0.01``. Load with ``importlib`` like query_fixtures.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from tablegen import table_pdf

from factloom.ingest.pipeline import ingest_paths
from factloom.ingest.store import get_chunks, get_document
from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation, stable_id
from factloom.tools.extraction.schema import EntityType, RelationType, Schema
from factloom.tools.resolution.collection import build_collection
from factloom.tools.store.documents import load_document_graph, save_document_graph

_spec = importlib.util.spec_from_file_location(
    "query_fixtures", Path(__file__).with_name("query_fixtures.py")
)
qf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qf)

ROW = "Diarrhoea | 22 (18.3%) | 9 (7.6%) | 0.01"
EXCLUDED = "Patients taking warfarin were excluded."
TABLE_ENTITIES = [("Metformin", "Chemical"), ("Diarrhoea", "Disease"), ("Nausea", "Disease")]


def build(root: Path) -> dict[str, Any]:
    """Build the workspace at ``root``; return query_fixtures' info plus the table document's."""
    info = qf.build_workspace(root)
    pdf = table_pdf(root.parent / f"{root.name}-trial.pdf")
    with Workspace(root, create=False) as ws:
        (result,) = ingest_paths(ws, [str(pdf)]).results
        assert result.status == "ingested", result.message
        doc = get_document(ws, result.doc_id)
        chunks = get_chunks(ws, doc.doc_id)
        ids = {name: stable_id("e", doc.doc_id, name) for name, _ in TABLE_ENTITIES}
        entities = []
        for name, type_ in TABLE_ENTITIES:
            s = doc.text.index(name)
            chunk = next(c for c in chunks if c.start <= s < c.end)
            mention = Mention(
                mention_id=Mention.make_id(doc.doc_id, s, s + len(name), type_),
                doc_id=doc.doc_id,
                chunk_id=chunk.chunk_id,
                start=s,
                end=s + len(name),
                text=name,
                type=type_,
                page=doc.page_at(s),
            )
            entities.append(Entity(entity_id=ids[name], name=name, type=type_, mentions=[mention]))
        s = doc.text.index(ROW)
        ev = Evidence(
            doc_id=doc.doc_id, page=doc.page_at(s), start=s, end=s + len(ROW), quote=ROW, agent="test"
        )
        causes = Relation(
            relation_id=Relation.make_id(ids["Metformin"], "causes", ids["Diarrhoea"]),
            head=ids["Metformin"],
            type="causes",
            tail=ids["Diarrhoea"],
            evidence=[ev],
        )
        save_document_graph(ws, doc.doc_id, entities, [causes])
    info.update(root=root, table_doc_id=doc.doc_id, table_ids=ids, table_pdf=pdf, row_start=s)
    return info


def build_with_merge(root: Path, *, conflict: bool = False) -> dict[str, Any]:
    """Build the workspace, give the table document a "warfarin" entity too, and build the collection graph.

    The collection merges the two documents' Warfarin entities (same name), so there is a merge to undo.
    With ``conflict``, the table document also says warfarin causes diarrhoea (quoting ``EXCLUDED``) and
    ``causes`` is functional in the schema, so the collection has a conflict: bleeding or diarrhoea.
    """
    info = build(root)
    with Workspace(root, create=False) as ws:
        doc_id = info["table_doc_id"]
        doc = get_document(ws, doc_id)
        chunk = get_chunks(ws, doc_id)[-1]
        s = doc.text.index("warfarin")
        mention = Mention(
            mention_id=Mention.make_id(doc_id, s, s + 8, "Chemical"),
            doc_id=doc_id,
            chunk_id=chunk.chunk_id,
            start=s,
            end=s + 8,
            text="warfarin",
            type="Chemical",
            page=doc.page_at(s),
        )
        entities, relations = load_document_graph(ws, doc_id)
        warfarin = Entity(
            entity_id=stable_id("e", doc_id, "warfarin"), name="warfarin", type="Chemical", mentions=[mention]
        )
        schema = None
        if conflict:
            e = doc.text.index(EXCLUDED)
            ev = Evidence(
                doc_id=doc_id,
                page=doc.page_at(e),
                start=e,
                end=e + len(EXCLUDED),
                quote=EXCLUDED,
                agent="test",
            )
            diarrhoea = info["table_ids"]["Diarrhoea"]
            relations.append(
                Relation(
                    relation_id=Relation.make_id(warfarin.entity_id, "causes", diarrhoea),
                    head=warfarin.entity_id,
                    type="causes",
                    tail=diarrhoea,
                    evidence=[ev],
                )
            )
            schema = Schema(
                entity_types=[EntityType(name="Chemical"), EntityType(name="Disease")],
                relation_types=[RelationType(name="causes", functional=True), RelationType(name="prevents")],
            )
        save_document_graph(ws, doc_id, [*entities, warfarin], relations)
        summary = build_collection(ws, schema)
        assert summary.merges == 1 and summary.conflicts == int(conflict), summary
    return info
