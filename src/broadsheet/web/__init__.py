"""The web app, JSON API and Atom feeds (FastAPI + Jinja2 + vendored htmx), #10.

``create_app(settings)`` returns the ASGI app; ``broadsheet serve`` runs it with uvicorn.
"""

from __future__ import annotations

from broadsheet.web.app import create_app

__all__ = ["create_app"]
