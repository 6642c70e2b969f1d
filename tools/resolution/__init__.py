"""Entity resolution across documents and the collection merge: name keys, blocking, scoring and
clustering of candidate pairs, merged relations, and the build of the collection graph."""
