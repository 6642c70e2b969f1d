"""Extraction on a Ray cluster: ``driver`` hands documents to a pool and stores what comes back (the
workspace's only writer); ``worker`` extracts one document at a time in memory (no Ray import there)."""

from factloom.graphs.distributed.driver import (
    DistributedError,
    DocumentPool,
    RayOptions,
    RayPool,
    document_task,
    extract_collection_ray,
    extract_on_pool,
    store_outcome,
    worker_spec,
)

__all__ = [
    "DistributedError",
    "DocumentPool",
    "RayOptions",
    "RayPool",
    "document_task",
    "extract_collection_ray",
    "extract_on_pool",
    "store_outcome",
    "worker_spec",
]
