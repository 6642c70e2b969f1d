"""``factloom eval``'s engine: run a system over a gold corpus and score it.

``run`` scores the first documents of a corpus; ``systems`` is factloom's extraction graph as a system;
the systems it is compared with are named for what they are: ``baseline_single_prompt`` (one call per
chunk, ``agents.baseline_single_prompt``) and ``peer_langextract`` (the langextract library,
``tools.eval.peer_langextract``); ``report`` adds confidence intervals and paired comparisons;
``progress`` shows a run's progress. Scoring is ``tools.eval``; the gold readers are ``ingest.corpora``.
"""
