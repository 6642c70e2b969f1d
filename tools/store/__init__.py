"""The knowledge graphs in the workspace's SQLite: one row codec, the document graphs, the collection graph
resolved from them, a person's review log, and the view of the graph users see."""
