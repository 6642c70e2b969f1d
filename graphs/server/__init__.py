"""The HTTP API and the web page: ``create_app`` (``app``) over one routers module per job.

``ask`` answers questions; ``browse`` searches entities and relations and reads documents; ``collection``
is the overview the page opens on; ``evidence`` draws a quote on its page; ``review`` corrects the graph.
``shared`` runs their workspace work off the event loop. The page itself is the plain files of ``web/``.
"""

from factloom.graphs.server.app import create_app

__all__ = ["create_app"]
