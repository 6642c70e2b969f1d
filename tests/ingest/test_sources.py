"""Finding input files and reading .txt / .md files."""

from __future__ import annotations

from pathlib import Path

import pytest

from factloom.ingest.errors import SourceError
from factloom.ingest.sources import expand_paths, read_document


def test_files_folders_and_globs_expand_to_supported_files_once(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    for name in ("a.pdf", "b.TXT", "sub/c.md", "sub/d.docx"):
        (tmp_path / name).write_text("x")
    found = expand_paths([str(tmp_path), str(tmp_path / "*.pdf"), str(tmp_path / "a.pdf")])
    assert [p.name for p in found.files] == ["a.pdf", "b.TXT", "c.md"]
    assert found.problems == []


def test_missing_and_unsupported_paths_are_reported(tmp_path: Path):
    (tmp_path / "notes.docx").write_text("x")
    found = expand_paths([str(tmp_path / name) for name in ("missing.pdf", "notes.docx", "*.md")])
    assert found.files == []
    assert [reason.split(";")[0] for _, reason in found.problems] == [
        "no such file, folder or matching files",
        "unsupported file type",
        "no such file, folder or matching files",
    ]


def test_markdown_headings_become_sections_and_offsets_hold(tmp_path: Path):
    path = tmp_path / "notes.md"
    path.write_text("# Aspirin study\n\nAspirin reduced pain.\nIt was cheap.\n\n## Harms\nBleeding was rare.")
    doc = read_document(path)
    assert doc.title == "Aspirin study"
    assert [(s.title, s.level) for s in doc.sections] == [("Aspirin study", 1), ("Harms", 2)]
    assert doc.text == "Aspirin study\n\nAspirin reduced pain. It was cheap.\n\nHarms\n\nBleeding was rare."
    assert all(doc.text[s.start :].startswith(s.title) for s in doc.sections)
    assert doc.doc_id == read_document(path).doc_id  # same bytes, same id


def test_bad_text_files_fail_with_a_clear_message(tmp_path: Path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(SourceError, match=r"latin\.txt: not UTF-8 text"):
        read_document(latin)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n  \n")
    with pytest.raises(SourceError, match=r"empty\.txt: the file has no text"):
        read_document(empty)
    with pytest.raises(SourceError, match=r"over the 0 MB limit; split the file or raise --max-mb"):
        read_document(latin, max_bytes=1)
