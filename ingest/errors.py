"""The errors a user can cause and fix, of the ingest layer; the base of every such error in factloom.

The CLI prints such errors as one line and exits non-zero; anything else is a bug. Each message says
what to do (``contract.pdf: encrypted; pass --password or decrypt it first``). The tree: what the user
gave cannot be read (``InputError``), the workspace cannot be used (``WorkspaceError``), something named
by id is not there (``NotFoundError``), the vector index cannot be used (``IndexServiceError``). The
layers above extend the same tree (``tools/errors.py``, ``graphs``); docs/errors.md lists every error.
"""


class FactloomError(Exception):
    """An error with a message that tells the user what to do."""


# --- input the user gave -------------------------------------------------------------------------


class InputError(FactloomError):
    """A file or path the user gave cannot be read as what it should be."""


class SourceError(InputError):
    """An input path cannot be read."""


class PdfError(InputError):
    """A PDF cannot be read."""


class NotAPdfError(PdfError):
    """The file is not a PDF, whatever its name says."""


class CorruptPdfError(PdfError):
    """The PDF is damaged or truncated beyond repair."""


class EncryptedPdfError(PdfError):
    """The PDF needs a password (none or a wrong one was given)."""


class EmptyPdfError(PdfError):
    """The PDF has no pages."""


class ImageOnlyPdfError(PdfError):
    """No page of the PDF has a text layer (a scan without OCR)."""


class CorpusError(InputError):
    """An annotated corpus file is malformed; the message names the file, record and field."""

    def __init__(self, path: object, record: object, problem: str) -> None:
        super().__init__(f"{path}: record {record}: {problem}")


# --- the workspace -------------------------------------------------------------------------------


class WorkspaceError(FactloomError):
    """The workspace folder cannot be used."""


class WorkspaceLockedError(WorkspaceError):
    """Another process is writing the workspace and did not finish within the wait."""


# --- something named by id -----------------------------------------------------------------------


class NotFoundError(FactloomError):
    """Something the user named (by id) is not in the workspace."""


class UnknownDocumentError(NotFoundError):
    """No document with the given id is in the workspace."""


class UnknownChunkError(NotFoundError):
    """No chunk with the given id is in the workspace."""


class NoPageImageError(NotFoundError):
    """The document has no page to draw (not a PDF, or its file is gone)."""


# --- the vector index ----------------------------------------------------------------------------


class IndexServiceError(FactloomError):
    """The vector index, its embedding model or its server cannot be used."""


class VectorIndexError(IndexServiceError):
    """The vector index cannot be opened or used."""


class EmbedderError(IndexServiceError):
    """The local embedding model cannot be found or loaded."""


class ChromaServerError(IndexServiceError):
    """The Chroma server URL is malformed or the server cannot be reached."""
