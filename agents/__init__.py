"""The agents, one module each (entity finder, relation reasoner, verifier, consolidator, ...): its input,
its output schema, its prompt, its LangGraph node, and the checks it makes without an LLM."""
