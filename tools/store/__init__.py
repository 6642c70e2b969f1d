"""What tools keep in the workspace's SQLite: one row codec, the document graphs, the collection graph
resolved from them (with its records), a person's review log, the canonical types of an open extraction,
the view of the graph users see, and the job table of finished extraction work."""
