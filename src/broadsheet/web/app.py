"""The FastAPI application: pages, the JSON API, Atom, static files, one error handler.

``create_app(settings)`` builds a fresh app over one store; ``broadsheet serve`` runs it under
uvicorn, and the tests drive the same object in-process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import nh3
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from broadsheet import __version__
from broadsheet.config import Settings
from broadsheet.errors import BroadsheetError, Conflict, InputError, NotFound, StoryMerged
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.users import Accounts
from broadsheet.web.auth import (
    CSRF_COOKIE,
    ApiAuthRequired,
    CsrfFailed,
    FeedAuthRequired,
    LoginLimiter,
    LoginRequired,
    csrf_token,
    current_user,
    is_https,
)

__all__ = ["CSP", "create_app", "safe_html"]

logger = logging.getLogger(__name__)

_HERE = Path(str(resources.files("broadsheet") / "web"))
# The story id in a story's page or API path ("/stories/12", "/api/v1/stories/12/...").
_STORY_PATH = re.compile(r"^(/(?:api/v1/)?stories/)\d+(/|$)")

# Everything from our own origin, nothing inline, no eval, no framing. htmx is told through its
# meta config not to inject its indicator <style> and not to eval, so it runs under this policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# The tags a displayed fragment may keep: highlighting and simple inline markup, no attributes.
_ALLOWED_TAGS = {"mark", "em", "strong", "b", "i", "p", "br", "ul", "ol", "li", "blockquote", "q"}


def safe_html(text: str) -> Markup:
    """The one way stored or generated HTML reaches a template: sanitised by nh3."""
    return Markup(nh3.clean(text, tags=_ALLOWED_TAGS, attributes={}))


def _status_text(status: int) -> str:
    return {
        400: "Bad request",
        401: "Login required",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict",
        413: "Too large",
        422: "Invalid input",
        429: "Too many requests",
    }.get(status, "Server error" if status >= 500 else "Error")


def wants_json(request: Request) -> bool:
    """API paths always answer JSON; elsewhere only clients that ask for it."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request,
    status: int,
    message: str,
    *,
    code: str | None = None,
    errors: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one error answer: JSON ``{ok, status, error, code, errors}`` or an error page."""
    code = code or _status_text(status).lower().replace(" ", "_")
    if wants_json(request):
        return JSONResponse(
            {"ok": False, "status": status, "error": message, "code": code, "errors": errors or []},
            status_code=status,
            headers=headers,
        )
    env: Environment = request.app.state.templates
    names = [f"errors/{status}.html", "error.html"]
    template = env.select_template(names)
    html = template.render(
        **page_globals(request),
        title=_status_text(status),
        status=status,
        message=message,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def page_globals(request: Request) -> dict[str, Any]:
    """What every template sees: the user, the CSRF token, the request, settings."""
    return {
        "request": request,
        "user": current_user(request),
        "csrf_token": csrf_token(request),
        "public_read": request.app.state.settings.public_read,
        "version": __version__,
    }


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page, or its fragment (``_name.html``) when htmx asked (``HX-Request``)."""
    env: Environment = request.app.state.templates
    fragment = context.pop("fragment", None)
    name = fragment if fragment and request.headers.get("hx-request") else template
    html = env.get_template(name).render(**page_globals(request), **context)
    return HTMLResponse(html, status_code=status, headers={"Vary": "HX-Request"})


class Urls:
    """Paths of named routes, for templates (``url_for('story', story_id=3)``).

    Starlette's ``url_path_for`` tries every route in turn and raises inside each miss; a story
    page links hundreds of citations, so each route's pattern is resolved once (with
    placeholders) and then filled in.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._patterns: dict[tuple[str, tuple[str, ...]], str] = {}

    def __call__(self, name: str, /, **params: Any) -> str:
        key = (name, tuple(sorted(params)))
        pattern = self._patterns.get(key)
        if pattern is None:
            holders = {k: f"__bs_{k}__" for k in params}
            pattern = str(self.app.url_path_for(name, **holders))
            self._patterns[key] = pattern
        for param, value in params.items():
            pattern = pattern.replace(f"__bs_{param}__", quote(str(value), safe="/"))
        return pattern


def _templates(app: FastAPI) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_HERE / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    env.globals["url_for"] = Urls(app)
    env.filters["safe_html"] = safe_html
    return env


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(
            request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", "")}
            for e in exc.errors()
        ]
        return error_response(
            request, 422, "invalid request", code="invalid_request", errors=errors
        )

    @app.exception_handler(BroadsheetError)
    async def library_error(request: Request, exc: BroadsheetError) -> Response:
        if isinstance(exc, StoryMerged) and request.method in ("GET", "HEAD"):
            # A link to a story merged into another (a bookmark, an Atom entry): the same page
            # or API resource of the story that holds its articles now.
            moved = _STORY_PATH.sub(rf"\g<1>{exc.into}\g<2>", request.url.path, count=1)
            if moved != request.url.path:
                query = f"?{request.url.query}" if request.url.query else ""
                return RedirectResponse(moved + query, status_code=301)
        status = 500
        if isinstance(exc, NotFound):
            status = 404
        elif isinstance(exc, Conflict):
            status = 409
        elif isinstance(exc, InputError):
            status = 400
        if status == 500:
            logger.error("web_library_error", extra={"code": exc.code, "path": request.url.path})
        return error_response(request, status, exc.message, code=exc.code)

    @app.exception_handler(ApiAuthRequired)
    async def api_auth(request: Request, exc: ApiAuthRequired) -> Response:
        return error_response(
            request,
            401,
            str(exc) or "log in or send an API token (Authorization: Bearer ...)",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(FeedAuthRequired)
    async def feed_auth(request: Request, exc: FeedAuthRequired) -> Response:
        return error_response(
            request,
            401,
            "send your user name and an API token (HTTP Basic, or Authorization: Bearer TOKEN)",
            code="unauthorized",
            headers={"WWW-Authenticate": 'Basic realm="Broadsheet feeds", charset="UTF-8"'},
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = str(request.app.url_path_for("login"))
        return RedirectResponse(f"{login}?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return error_response(request, 403, str(exc), code="csrf_failed")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("web_unexpected_error", extra={"path": request.url.path})
        return error_response(request, 500, "internal error", code="internal_error")


def create_app(
    settings: Settings, *, store: Store | None = None, fetch_feeds: bool = False
) -> FastAPI:
    """A Broadsheet web app over ``store`` (opened from ``settings`` when not given).

    With ``fetch_feeds`` the app polls due feeds in a background thread while it runs
    (``web/scheduler.py``), as ``broadsheet serve`` does by default.
    """
    from broadsheet.web import api, atom, pages
    from broadsheet.web.scheduler import FeedScheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = FeedScheduler(app.state.store, settings) if fetch_feeds else None
        app.state.scheduler = scheduler
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Broadsheet API",
        version=__version__,
        description="Read Broadsheet's stories, articles, entities, search and feeds. "
        "See docs/api.md.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store or Store.open(settings.db_url)
    app.state.accounts = Accounts(app.state.store)
    app.state.personal = Personal(app.state.store)
    app.state.limiter = LoginLimiter()
    app.state.templates = _templates(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if is_https(request):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        new_csrf = getattr(request.state, "new_csrf", None)
        if new_csrf:
            response.set_cookie(
                CSRF_COOKIE,
                new_csrf,
                httponly=True,
                samesite="strict",
                secure=is_https(request),
                path="/",
            )
        return response

    _install_handlers(app)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    app.include_router(api.router)
    app.include_router(atom.router)
    app.include_router(pages.router)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        # Rendered here from the OpenAPI document instead of Swagger UI: no third-party
        # script, nothing from a CDN, and the page obeys the same CSP as every other.
        return render(request, "docs.html", title="API", spec=app.openapi())

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app
