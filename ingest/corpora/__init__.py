"""Readers of annotated corpora (gold standard) into typed records, for demonstrations and evaluation.

``read_corpus(path, format)`` reads any supported format into ``GoldDoc`` records whose offsets
index ``GoldDoc.text``. Formats: ``jsonl`` (factloom's gold format, see ``jsonl.py``), ``spert``
(CoNLL04, ADE, SciERC sentences), ``scierc`` (SciERC documents), ``pubtator`` (BC5CDR, BioRED),
``bioc`` (BioC JSON, BioRED), ``redocred`` (DocRED / Re-DocRED), ``cuad`` (CUAD v1 folder).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from factloom.ingest.corpora.bioc import read_bioc
from factloom.ingest.corpora.cuad import read_cuad
from factloom.ingest.corpora.jsonl import read_jsonl, to_json, write_jsonl
from factloom.ingest.corpora.models import GoldDoc, GoldEntity, GoldRelation, GoldSpan
from factloom.ingest.corpora.pubtator import read_pubtator
from factloom.ingest.corpora.redocred import read_redocred
from factloom.ingest.corpora.scierc import read_scierc
from factloom.ingest.corpora.spert import read_spert
from factloom.ingest.errors import CorpusError

READERS: dict[str, Callable[[Path], list[GoldDoc]]] = {
    "jsonl": read_jsonl,
    "spert": read_spert,
    "scierc": read_scierc,
    "pubtator": read_pubtator,
    "bioc": read_bioc,
    "redocred": read_redocred,
    "cuad": read_cuad,
}
FORMATS = tuple(READERS)

__all__ = [
    "FORMATS",
    "CorpusError",
    "GoldDoc",
    "GoldEntity",
    "GoldRelation",
    "GoldSpan",
    "detect_format",
    "read_corpus",
    "to_json",
    "write_jsonl",
]


def read_corpus(path: str | Path, format: str = "auto", limit: int | None = None) -> list[GoldDoc]:
    """Read an annotated corpus file (or CUAD folder) into gold documents.

    Args:
        path: the corpus file, or for CUAD the folder holding ``master_clauses.csv``.
        format: one of ``FORMATS``, or ``auto`` to guess from the file's name and first bytes.
        limit: keep only the first ``limit`` documents.

    Raises:
        CorpusError: the path is missing, the format unknown, or the file malformed.
    """
    path = Path(path)
    if not path.exists():
        raise CorpusError(path, "-", "no such file or folder")
    name = detect_format(path) if format == "auto" else format
    if name not in READERS:
        raise CorpusError(path, "-", f"unknown format {name!r}; use one of {', '.join(FORMATS)} or auto")
    docs = READERS[name](path)
    return docs if limit is None else docs[:limit]


def detect_format(path: Path) -> str:
    """Guess a corpus file's format from its name and first bytes.

    Raises:
        CorpusError: the format cannot be recognised.
    """
    if path.is_dir() or path.suffix.lower() == ".csv":
        return "cuad"
    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(8192)
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(path, "-", f"cannot read the file ({e})") from e
    stripped = head.lstrip()
    if re.match(r"^[^\s|]+\|[ta]\|", stripped):
        return "pubtator"
    keys = set(re.findall(r'"(\w+)"\s*:', head))
    rules = [
        (stripped.startswith("[") and "vertexSet" in keys | {k for k in keys if k == "sents"}, "redocred"),
        (stripped.startswith("[") and "tokens" in keys, "spert"),
        ("passages" in keys or "documents" in keys, "bioc"),
        ("doc_key" in keys or "ner" in keys, "scierc"),
        ("text" in keys, "jsonl"),
    ]
    for matched, name in rules:
        if matched:
            return name
    raise CorpusError(path, "-", f"cannot tell the corpus format; pass --format ({', '.join(FORMATS)})")
