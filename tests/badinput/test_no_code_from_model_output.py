"""No model output is ever run as code or as a shell command: the package source is checked, statically."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agents", "tools", "graphs", "ingest")
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_ATTRS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execv"),
    ("os", "execvp"),
    ("pickle", "loads"),
    ("pickle", "load"),
    ("marshal", "loads"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("yaml", "full_load"),
}
SUBPROCESS_ALLOWED = {
    # starts `python -m llama_cpp.server` with an argument list built from the backend config
    "tools/eval/peer_langextract.py",
}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _problems(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                found.append(f"{rel}:{node.lineno}: {func.id}()")
            pair = (
                (func.value.id, func.attr)
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                else None
            )
            if pair in FORBIDDEN_ATTRS:
                found.append(f"{rel}:{node.lineno}: {pair[0]}.{pair[1]}()")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    found.append(f"{rel}:{node.lineno}: shell=...")
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            if any(n and n.split(".")[0] == "subprocess" for n in names) and rel not in SUBPROCESS_ALLOWED:
                found.append(f"{rel}:{node.lineno}: imports subprocess")
    return found


def test_the_package_source_is_there_to_check() -> None:
    assert len(_sources()) > 50


@pytest.mark.parametrize("package", PACKAGES)
def test_no_eval_exec_or_shell_in_the_package(package: str) -> None:
    problems = [
        p for path in _sources() if path.relative_to(ROOT).parts[0] == package for p in _problems(path)
    ]
    assert problems == []


def test_the_check_finds_what_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\neval(x)\nos.system(y)\nrun(cmd, shell=True)\n")
    assert len(_problems(bad, root=tmp_path)) == 3
