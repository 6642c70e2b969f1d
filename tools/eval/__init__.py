"""Evaluation: scoring extraction and resolution against gold, paired bootstrap intervals, and the peer
system (``peer_langextract``: another library run on the same data)."""
