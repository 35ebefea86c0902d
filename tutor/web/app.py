"""The web application: pages for students (``views``) and a JSON API (``api``), on Starlette.

Handlers only route: the mathematics is the library's (``derive``, ``grade``, the printers,
``worksheet``), run in worker processes with time limits (``jobs``) through ``service``.
Every request body is limited to 64 KiB; errors and security headers are ``http``'s.
"""

from __future__ import annotations

import contextlib
import json
from importlib import resources

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from .. import __version__
from . import api, views
from .http import (EXCEPTION_HANDLERS, AllowedHosts, Language, PerClient, SameOrigin,
                   SecurityHeaders)
from .jobs import Workers
from .library import Library
from .service import Tutor

ROUTES = [
    # The pages, for people: not part of the API document.
    Route("/", views.index, include_in_schema=False),
    Route("/problems", views.upload, methods=["POST"], include_in_schema=False),
    Route("/problems/{id}", views.problem, include_in_schema=False),
    Route("/problems/{id}/check", views.check, methods=["POST"], include_in_schema=False),
    Route("/problems/{id}/download", views.download, include_in_schema=False),
    Route("/problems/{id}/train", views.train, include_in_schema=False),
    Route("/static/{name}", views.static, include_in_schema=False),
    # The JSON API.
    Route("/api/problems", api.Problems),
    Route("/api/problems/{id}", api.problem),
    Route("/api/problems/{id}/derivation", api.derivation),
    Route("/api/problems/{id}/check", api.check, methods=["POST"]),
    Route("/openapi.json", api.openapi, include_in_schema=False),
]


def create_app(library: Library, workers: int = 2, allowed_hosts: list[str] | None = None
               ) -> Starlette:
    """The application serving ``library``, with ``workers`` worker processes for checks and
    as many for derivations, training and worksheets (started and stopped with the
    application). ``allowed_hosts``: the Host names it answers (others get 400, which
    defeats DNS rebinding); None for any."""
    tutor = Tutor(library, Workers(workers))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        tutor.start()
        try:
            yield
        finally:
            tutor.stop()

    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(SecurityHeaders)]
        + ([Middleware(AllowedHosts, hosts=allowed_hosts)]
           if allowed_hosts is not None else [])
        + [Middleware(Language), Middleware(SameOrigin), Middleware(PerClient),
           Middleware(GZipMiddleware, minimum_size=1024)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan)
    app.state.tutor = tutor
    app.state.schemas = SchemaGenerator({
        "openapi": "3.1.0",
        "info": {"title": "tutor", "version": __version__,
                 "description": "Chain-rule derivations of neural-network gradients, verified "
                                "three ways, and a checker of students' answers."},
        "components": {"schemas": {"Problem": _schema("problem", "Problem"),
                                   "Answers": _schema("answers", "Answers")}}})
    return app


def _schema(file: str, name: str) -> dict:
    """A shipped JSON Schema (tutor/schema/FILE.schema.json) as an OpenAPI 3.1 component: its
    internal references made to point into the component."""
    text = resources.files("tutor").joinpath("schema", f"{file}.schema.json").read_text("utf-8")
    schema = json.loads(text.replace('"#/$defs/', f'"#/components/schemas/{name}/$defs/'))
    schema.pop("$schema", None)
    return schema
