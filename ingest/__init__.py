"""Reading and indexing: documents (PDF first) into pages, blocks, sections and chunks with exact character
offsets, kept in the workspace (SQLite) and the vector index (Chroma); knows nothing of LLMs or agents."""
