"""What the agents use: the LLM backends, the knowledge-graph model and its stores, grounding, demonstrations,
entity resolution, querying, evaluation and exports; knows nothing of prompts or graph wiring."""
