"""Shared fixtures: the shared data folder (skipped with a reason when absent) and workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ../shared/data, or skip when this checkout has none beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared evaluation data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_pdfs(shared_data: Path) -> list[Path]:
    """Return the eight real PDFs of ../shared/data/pdfs."""
    pdfs = sorted((shared_data / "pdfs").glob("*.pdf"))
    if not pdfs:
        pytest.skip("no PDFs in ../shared/data/pdfs")
    return pdfs
