"""Questions over the graph: an indexed copy of the graph for lookups, entity linking of a question, and
the subgraph and evidence passages an answer is written from."""
