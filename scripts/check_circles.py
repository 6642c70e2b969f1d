"""Fail when modules of the package import each other in a circle.

A circle works only while its modules are imported in one order (``python -c "import a.b"`` in a fresh
interpreter fails with "partially initialized module"), and it hides which module is the lower one.
Every import counts: at the top of a module, inside a function, and under ``TYPE_CHECKING``.

Usage:
    python scripts/check_circles.py                  # the root packages of [tool.importlinter]
    python scripts/check_circles.py PACKAGE [...]    # these packages (importable from sys.path)

Prints one line per circle, with one path around it, and exits 1 if there is any; exits 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import grimp

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def root_packages(pyproject: Path = PYPROJECT) -> list[str]:
    """Return the root packages import-linter checks (``[tool.importlinter] root_packages``)."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    return list(config.get("root_packages") or [config["root_package"]])


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Return every group of two or more modules that import each other in a circle, each sorted.

    The groups are the strongly connected components of the import graph (Tarjan's algorithm, iterative).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    work: list[tuple[str, Iterator[str]]] = []
    found: list[list[str]] = []

    def enter(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        work.append((module, iter(sorted(graph.find_modules_directly_imported_by(module)))))

    def leave(module: str) -> None:
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[module])
        if low[module] == index[module]:
            group = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(group) > 1:
                found.append(sorted(group))

    for root in sorted(graph.modules):
        if root not in index:
            enter(root)
        while work:
            module, targets = work[-1]
            for target in targets:
                if target not in index:
                    enter(target)
                    break
                if target in stack:
                    low[module] = min(low[module], index[target])
            else:
                leave(module)
    return sorted(found)


def one_path(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """Return one path around the circle through the first module of ``group``, ending where it starts."""
    start = group[0]
    members = set(group)
    first = min(m for m in graph.find_modules_directly_imported_by(start) if m in members)
    chain = graph.find_shortest_chain(importer=first, imported=start) or (first, start)
    return [start, *chain]


def main(argv: list[str] | None = None) -> int:
    """Run the check; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="packages to check (default: import-linter's)")
    args = parser.parse_args(argv)
    packages = args.packages or root_packages()
    try:
        graph = grimp.build_graph(*packages, cache_dir=None)
    except (ValueError, ModuleNotFoundError) as e:
        print(
            f"check_circles: cannot read {', '.join(packages)} ({e}); install the package first",
            file=sys.stderr,
        )
        return 2
    found = circles(graph)
    for group in found:
        print(f"import circle ({len(group)} modules): {' -> '.join(one_path(graph, group))}")
    if found:
        print(
            f"{len(found)} import circle(s); make the lower module stop importing the higher one",
            file=sys.stderr,
        )
        return 1
    print(f"no import circle in {', '.join(packages)} ({len(graph.modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
