"""Small document graphs written with ``save_document_graph``, shared by the collection and export tests."""

from __future__ import annotations

from factloom.ingest.workspace import Workspace
from factloom.tools.extraction.kg import Entity, Evidence, Mention, Relation, stable_id
from factloom.tools.extraction.schema import EntityType, RelationType, Schema
from factloom.tools.store.documents import save_document_graph

SCHEMA = Schema(
    name="test",
    entity_types=[
        EntityType(name="organization"),
        EntityType(name="person"),
        EntityType(name="location"),
        EntityType(name="fruit"),
    ],
    relation_types=[
        RelationType(name="headquartered_in", domain=["organization"], range=["location"], functional=True),
        RelationType(name="work_for", domain=["person"], range=["organization"]),
        RelationType(name="partner_of", domain=["organization"], range=["organization"], symmetric=True),
    ],
)


class DocBuilder:
    """Build one document graph whose evidence quotes really index its text."""

    def __init__(self, doc_id: str, text: str) -> None:
        self.doc_id, self.text = doc_id, text
        self.entities: dict[str, Entity] = {}
        self.relations: list[Relation] = []

    def entity(self, name: str, type_: str, *, at: str | None = None, aliases: tuple[str, ...] = ()) -> str:
        """Add an entity mentioned where ``at`` (default: ``name``) first occurs in the text."""
        quote = at or name
        start = self.text.index(quote)
        mention = Mention(
            mention_id=Mention.make_id(self.doc_id, start, start + len(quote), type_),
            doc_id=self.doc_id,
            chunk_id=f"{self.doc_id}-c0",
            start=start,
            end=start + len(quote),
            text=quote,
            type=type_,
            page=1,
        )
        entity_id = stable_id("e", self.doc_id, name, type_)
        self.entities[entity_id] = Entity(
            entity_id=entity_id, name=name, type=type_, aliases=list(aliases), mentions=[mention]
        )
        return entity_id

    def relation(
        self,
        head: str,
        type_: str,
        tail: str,
        sentence: str,
        confidence: float = 0.9,
        *,
        status: str = "unverified",
        rationale: str = "",
        agent: str = "relation_reasoner",
        method: str = "exact",
        score: float = 100.0,
    ) -> None:
        """Add a relation stated by ``sentence`` (a substring of the text), checked as ``status`` says."""
        start = self.text.index(sentence)
        ev = Evidence(
            doc_id=self.doc_id,
            page=1,
            start=start,
            end=start + len(sentence),
            quote=sentence,
            chunk_id=f"{self.doc_id}-c0",
            agent=agent,
            method=method,
            score=score,
        )
        self.relations.append(
            Relation(
                relation_id=Relation.make_id(head, type_, tail),
                head=head,
                type=type_,
                tail=tail,
                confidence=confidence,
                reasoning=f"stated in {self.doc_id}",
                evidence=[ev],
                status=status,
                agent=agent,
                rationale=rationale,
            )
        )

    def save(self, ws: Workspace) -> None:
        """Store the graph in ``ws``."""
        save_document_graph(ws, self.doc_id, list(self.entities.values()), self.relations)


HQ_RATIONALE = "The sentence names Berlin as ACME Corp.'s headquarters."
WORK_RATIONALE = "The sentence says Jane Doe works for ACME Corp."


def acme_collection(ws: Workspace) -> None:
    """Write three documents about ACME Corp. (one conflicting), plus homonyms ``Apple`` org / fruit.

    How each relation was checked: doc1's two are verified; doc2's ``work_for`` is unverified, surer and
    grounded fuzzily; doc3's headquarters is the consolidator's unchecked cross-chunk proposal.
    """
    d1 = DocBuilder(
        "doc1", "ACME Corp. is headquartered in Berlin. Jane Doe works for ACME Corp. Apple sells phones."
    )
    acme1, berlin = d1.entity("ACME Corp.", "organization"), d1.entity("Berlin", "location")
    jane = d1.entity("Jane Doe", "person")
    d1.entity("Apple", "organization")
    d1.relation(
        acme1,
        "headquartered_in",
        berlin,
        "ACME Corp. is headquartered in Berlin.",
        status="verified",
        rationale=HQ_RATIONALE,
    )
    d1.relation(
        jane,
        "work_for",
        acme1,
        "Jane Doe works for ACME Corp.",
        0.8,
        status="verified",
        rationale=WORK_RATIONALE,
    )
    d1.save(ws)
    d2 = DocBuilder("doc2", "Jane Doe joined Acme Corporation in 2020. Acme Corporation is based in Berlin.")
    acme2, berlin2 = d2.entity("Acme Corporation", "organization"), d2.entity("Berlin", "location")
    jane2 = d2.entity("Jane Doe", "person")
    d2.relation(
        jane2,
        "work_for",
        acme2,
        "Jane Doe joined Acme Corporation in 2020.",
        0.95,
        method="fuzzy",
        score=91.5,
    )
    d2.relation(acme2, "headquartered_in", berlin2, "Acme Corporation is based in Berlin.")
    d2.save(ws)
    d3 = DocBuilder("doc3", "ACME Inc has its head office in Munich. An apple a day keeps the doctor away.")
    acme3, munich = d3.entity("ACME Inc", "organization"), d3.entity("Munich", "location")
    d3.entity("apple", "fruit")
    d3.relation(
        acme3,
        "headquartered_in",
        munich,
        "ACME Inc has its head office in Munich.",
        0.0,
        agent="consolidator",
    )
    d3.save(ws)
