"""The ``factloom`` command line: ``app`` registers the commands, one module per command group.

``shared`` holds what every command shares (one-line errors, the backend, workspace-lock, Chroma and Ray
options); a command module parses its options and calls the layer below. Nothing here is imported by
the rest of the package.
"""

from factloom.graphs.cli.app import main

__all__ = ["main"]
