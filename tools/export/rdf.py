"""RDF export (rdflib): Turtle and JSON-LD, with the provenance of every fact.

Each relation is a plain triple ``head fl:<type> tail`` and also an ``rdf:Statement`` (reification)
that carries its confidence, ``fl:status`` (``verified``: the verifier found its evidence supports it;
``unverified``: no check ran or it failed to answer), the verifier's ``fl:rationale``,
``prov:wasAttributedTo`` the agent that proposed it (a ``prov:SoftwareAgent``) and
``prov:wasDerivedFrom`` its evidence. Each evidence is a ``prov:Entity`` with the quote
(``prov:value``), ``prov:wasQuotedFrom`` the document, the page and character offsets, and how the quote
was found in the text (``fl:groundingMethod`` exact / normalised / fuzzy, ``fl:groundingScore``).
Evidence read from a table also has ``fl:table``, ``fl:row``, ``fl:column``, ``fl:rowHeader``,
``fl:columnHeader``, ``fl:value`` (as printed) and ``fl:unit``.
Entities carry ``rdfs:label``, ``skos:altLabel`` aliases and their mentions' documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO
from urllib.parse import quote

from factloom.tools.extraction.kg import Entity, Evidence, Relation, stable_id

BASE = "urn:factloom:"
VOCAB = BASE + "vocab#"


def _local(name: str) -> str:
    return quote(name.replace(" ", "_"), safe="_-.")


def to_rdf(entities: Sequence[Entity], relations: Sequence[Relation]):  # -> rdflib.Graph
    """Return the knowledge graph as an ``rdflib.Graph``."""
    from rdflib import RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import PROV, XSD

    fl = Namespace(VOCAB)
    g = Graph()
    for prefix, ns in (("fl", fl), ("prov", PROV), ("skos", SKOS)):
        g.bind(prefix, ns)
    ent = {e.entity_id: URIRef(f"{BASE}entity:{e.entity_id}") for e in entities}
    for e in entities:
        node = ent[e.entity_id]
        g.add((node, RDF.type, fl[_local(e.type)]))
        g.add((node, RDFS.label, Literal(e.name)))
        g.add((node, fl.entityType, Literal(e.type)))
        for alias in e.aliases:
            g.add((node, SKOS.altLabel, Literal(alias)))
        for doc_id in sorted({m.doc_id for m in e.mentions}):
            g.add((node, fl.mentionedIn, URIRef(f"{BASE}document:{_local(doc_id)}")))
        g.add((node, fl.mentionCount, Literal(len(e.mentions), datatype=XSD.integer)))
    for r in relations:
        if r.head not in ent or r.tail not in ent:
            continue
        predicate = fl[_local(r.type)]
        g.add((ent[r.head], predicate, ent[r.tail]))
        stmt = URIRef(f"{BASE}relation:{r.relation_id}")
        g.add((stmt, RDF.type, RDF.Statement))
        g.add((stmt, RDF.subject, ent[r.head]))
        g.add((stmt, RDF.predicate, predicate))
        g.add((stmt, RDF.object, ent[r.tail]))
        g.add((stmt, fl.confidence, Literal(float(r.confidence), datatype=XSD.double)))
        g.add((stmt, fl.status, Literal(r.status)))
        if r.agent:
            g.add((stmt, PROV.wasAttributedTo, _agent(g, r.agent)))
        if r.reasoning:
            g.add((stmt, fl.reasoning, Literal(r.reasoning)))
        if r.rationale:
            g.add((stmt, fl.rationale, Literal(r.rationale)))
        for ev in r.evidence:
            g.add((stmt, PROV.wasDerivedFrom, _evidence(g, ev)))
    return g


def _evidence(g, ev: Evidence):  # -> rdflib.URIRef
    from rdflib import Literal, Namespace, URIRef
    from rdflib.namespace import PROV, RDF, XSD

    fl = Namespace(VOCAB)
    node = URIRef(f"{BASE}evidence:{stable_id('ev', ev.doc_id, ev.start, ev.end, ev.quote)}")
    g.add((node, RDF.type, PROV.Entity))
    g.add((node, PROV.value, Literal(ev.quote)))
    g.add((node, PROV.wasQuotedFrom, URIRef(f"{BASE}document:{_local(ev.doc_id)}")))
    g.add((node, fl.page, Literal(ev.page, datatype=XSD.integer)))
    g.add((node, fl.start, Literal(ev.start, datatype=XSD.integer)))
    g.add((node, fl.end, Literal(ev.end, datatype=XSD.integer)))
    if ev.chunk_id:
        g.add((node, fl.chunk, Literal(ev.chunk_id)))
    if ev.agent:
        g.add((node, fl.agent, Literal(ev.agent)))
    g.add((node, fl.groundingMethod, Literal(ev.method)))
    g.add((node, fl.groundingScore, Literal(float(ev.score), datatype=XSD.double)))
    if ev.cell is not None:
        c = ev.cell
        for name, number in (("table", c.table), ("row", c.row), ("column", c.col)):
            g.add((node, fl[name], Literal(number, datatype=XSD.integer)))
        texts = (("rowHeader", c.row_header), ("columnHeader", c.column_header), ("value", c.value))
        for name, text in texts:
            g.add((node, fl[name], Literal(text)))
        if c.unit:
            g.add((node, fl.unit, Literal(c.unit)))
    return node


def _agent(g, name: str):  # -> rdflib.URIRef
    from rdflib import RDFS, Literal, URIRef
    from rdflib.namespace import PROV, RDF

    node = URIRef(f"{BASE}agent:{_local(name)}")
    g.add((node, RDF.type, PROV.SoftwareAgent))
    g.add((node, RDFS.label, Literal(name)))
    return node


def write_turtle(entities: Sequence[Entity], relations: Sequence[Relation], out: TextIO) -> int:
    """Write the graph to ``out`` as Turtle; return the number of triples."""
    graph = to_rdf(entities, relations)
    out.write(graph.serialize(format="turtle"))
    return len(graph)


def write_jsonld(entities: Sequence[Entity], relations: Sequence[Relation], out: TextIO) -> int:
    """Write the graph to ``out`` as JSON-LD (with a prefix context); return the number of triples."""
    from rdflib.namespace import PROV, SKOS

    context = {
        "fl": VOCAB,
        "prov": str(PROV),
        "skos": str(SKOS),
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    }
    graph = to_rdf(entities, relations)
    out.write(graph.serialize(format="json-ld", context=context, indent=2))
    return len(graph)
