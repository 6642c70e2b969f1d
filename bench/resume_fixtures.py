"""A small multi-chunk document, its script for the scripted model, and helpers to run and compare runs.

Shared by bench/resume.py and the resume, re-run and bad-input tests (pytest puts bench/ on the path).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner
from scripted_server import Script

from factloom.graphs.cli import main
from factloom.ingest.chunking import chunk_document
from factloom.ingest.sources import read_document
from factloom.ingest.store import save_document
from factloom.ingest.workspace import DB_NAME, Workspace
from factloom.tools.llm.scripted import ScriptedLLM
from factloom.tools.llm.structured import output_schema

PEOPLE = ["John Smith", "Mary Jones", "Paul Brown", "Anna White", "Peter Green", "Laura King", "Mark Hill"]
ORGS = ["Acme Corporation", "Globex Industries", "Initech Systems", "Umbrella Holdings", "Stark Logistics"]
ORGS += ["Wayne Foods", "Tyrell Energy"]
CITIES = ["Boston", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Dublin"]
CHUNK_TOKENS = 40


def write_corpus(folder: Path) -> tuple[Path, dict]:
    """Write a 7-paragraph news text (one chunk each); return it and the fake model's script."""
    paras, names, relations = [], {}, []
    for person, org, city in zip(PEOPLE, ORGS, CITIES, strict=True):
        works, lives = f"{person} works for {org} in {city}.", f"{person} lives in {city}."
        paras.append(f"{works} The company hired more staff this year. {lives} The press wrote about it.")
        names |= {person: "person", org: "organization", city: "location"}
        relations += [[person, "work_for", org, works], [person, "live_in", city, lives]]
    folder.mkdir(parents=True, exist_ok=True)
    doc = folder / "doc.txt"
    doc.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    return doc, {"names": names, "relations": relations}


def prepare_workspace(root: Path, doc: Path) -> int:
    """Ingest ``doc`` into a new workspace without embedding it (fast); return its number of chunks."""
    with Workspace(root) as ws:
        document = read_document(doc)
        chunks = chunk_document(document, chunk_tokens=CHUNK_TOKENS, overlap_tokens=0)
        save_document(ws, document, chunks)
    return len(chunks)


def add_document(root: Path, doc: Path) -> str:
    """Add one more document to a prepared workspace (without embedding); return its id."""
    with Workspace(root) as ws:
        document = read_document(doc)
        save_document(ws, document, chunk_document(document, chunk_tokens=CHUNK_TOKENS, overlap_tokens=0))
    return document.doc_id


def extract_args(root: Path, doc: Path, url: str, *extra: str) -> list[str]:
    """Return the arguments of ``factloom extract`` against the scripted server at ``url``."""
    backend = ["--backend", "openai", "--base-url", url, "--model", "scripted", "--k-demos", "0"]
    return ["extract", str(doc), "-w", str(root), *backend, "--concurrency", "2", *extra]


def run_cli(args: list[str]) -> tuple[int, str]:
    """Run the CLI in this process; return its exit code and its output (stdout and stderr)."""
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def export_lines(root: Path) -> list[str]:
    """Return the workspace's JSONL export, line by line, sorted."""
    code, out = run_cli(["export", "-w", str(root), "--format", "jsonl"])
    assert code == 0, out
    return sorted(out.splitlines())


def done_jobs(root: Path) -> dict[tuple[str, str], float]:
    """Return (chunk id, stage) -> updated_at of the finished jobs, read as another process would."""
    db = sqlite3.connect(f"file:{root / DB_NAME}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT chunk_id, stage, updated_at FROM extract_jobs WHERE status = 'done'")
        return {(c, s): t for c, s, t in rows}
    except sqlite3.OperationalError:  # the table does not exist yet
        return {}
    finally:
        db.close()


def scripted_llm(script: dict) -> ScriptedLLM:
    """Return an in-process scripted model that answers like ``bench/scripted_server.py``."""
    fake = Script(script)

    def answer(messages: list, output: type) -> dict:
        return fake.answer(messages[-1].content, output_schema(output))

    return ScriptedLLM(default=answer)
