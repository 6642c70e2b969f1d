"""Typed records of the ingest layer: documents, pages, blocks, sections and chunks.

Offsets are character offsets into ``Document.text``, the one string that every
later fact points into (``text[start:end]``).
"""

from __future__ import annotations

import bisect

from pydantic import BaseModel, ConfigDict, Field

BBox = tuple[float, float, float, float]


class Block(BaseModel):
    """A text block of a page, in reading order, with its span in the document text."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(description="1-based page number")
    bbox: BBox
    start: int
    end: int
    is_heading: bool = False


class Page(BaseModel):
    """A page and the span of the document text it produced."""

    model_config = ConfigDict(frozen=True)

    number: int = Field(description="1-based page number")
    width: float
    height: float
    start: int
    end: int
    has_text: bool = True


class Section(BaseModel):
    """A section heading and where its section starts in the document text."""

    model_config = ConfigDict(frozen=True)

    title: str
    level: int = 1
    start: int


class Document(BaseModel):
    """A parsed document: one text string plus the map from offsets back to pages and blocks."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    path: str
    title: str
    content_hash: str
    text: str
    pages: list[Page]
    blocks: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    cleaning: dict[str, int] = Field(
        default_factory=dict, description="characters removed (or kept) by each cleaning rule of the reader"
    )

    def page_at(self, offset: int) -> int:
        """Return the 1-based page number holding character ``offset``."""
        starts = [p.start for p in self.pages]
        i = bisect.bisect_right(starts, offset) - 1
        return self.pages[max(i, 0)].number if self.pages else 1

    def block_at(self, offset: int) -> Block | None:
        """Return the block holding character ``offset``, or None between blocks."""
        starts = [b.start for b in self.blocks]
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and self.blocks[i].start <= offset < self.blocks[i].end:
            return self.blocks[i]
        return None

    def section_at(self, offset: int) -> str | None:
        """Return the title of the section that ``offset`` falls in."""
        starts = [s.start for s in self.sections]
        i = bisect.bisect_right(starts, offset) - 1
        return self.sections[i].title if i >= 0 else None


class Chunk(BaseModel):
    """A contiguous span of a document's text: ``doc.text[start:end] == text``."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    page: int
    section: str | None = None
    n_tokens: int = 0
