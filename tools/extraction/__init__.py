"""What extraction speaks and checks: the knowledge-graph model, the schema (presets, induced types, the
canonical types of an open extraction), the models the LLM answers in, grounding of quotes in the text, gold
labels, and demonstrations."""
