"""Server-rendered pages: every URL works without JavaScript; htmx only swaps fragments in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from broadsheet.digits import is_ascii_digits, row_id
from broadsheet.errors import FetchError, InputError, NotFound
from broadsheet.model import FeedbackKind, FollowKind, InputFormat, RawDocument, User
from broadsheet.pipeline import ingest as run_ingest
from broadsheet.pipeline.feeds import opml_document
from broadsheet.pipeline.fetch import Fetcher, FetchPolicy
from broadsheet.polling import subscribe
from broadsheet.store import Store
from broadsheet.store.personal import Personal
from broadsheet.store.users import Accounts
from broadsheet.web.api import RowId
from broadsheet.web.app import error_response, render
from broadsheet.web.auth import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    LoginLimiter,
    LoginRequired,
    check_csrf,
    is_https,
    user_dependencies,
)
from broadsheet.web.views import (
    article_page,
    check_follow_target,
    entity_page,
    find_entity,
    follow_label,
    following_page,
    front_page,
    highlight,
    personal_front_page,
    search_page,
    source_page,
    story_page,
    when,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# Messages a redirect after a form may show, by key: the page never echoes text from the URL.
_NOTICES = {
    "feed_added": "Feed added. It is polled by the next `broadsheet fetch`.",
    "feed_removed": "Feed removed. Its articles stay.",
    "token_revoked": "API token revoked.",
    "followed": "Followed.",
    "password_changed": "Password changed. Your other sessions were logged out.",
    "unfollowed": "No longer followed.",
    "muted": "Muted: its stories are gone from your front page.",
    "unmuted": "No longer muted.",
    "hidden": "Hidden from your front page.",
    "liked": "Liked: more stories like it will rank higher.",
    "topic_saved": "Topic saved.",
}


def _now() -> datetime:
    return datetime.now(UTC)


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


# Pages: anyone may read when public_read is on, else a logged-in user; a page of one's own
# needs a user. Nobody there: a redirect to the login page.
reader, member = user_dependencies(LoginRequired)


Reader = Annotated[User | None, Depends(reader)]
Member = Annotated[User, Depends(member)]


def _page(request: Request, template: str, **context: Any) -> HTMLResponse:
    return render(request, template, when=when, highlight=highlight, **context)


def _followed(request: Request, user: User | None) -> dict[tuple[str, str], int]:
    """The viewer's follows by (kind, target), for Follow / Unfollow buttons."""
    if user is None:
        return {}
    accounts: Accounts = request.app.state.accounts
    return {(f.kind.value, f.target): f.id for f in accounts.follows(user.id)}


def _personal(request: Request) -> Personal:
    personal: Personal = request.app.state.personal
    return personal


def _half_life(request: Request) -> float:
    half_life: float = request.app.state.settings.feed_half_life_hours
    return half_life


def _muted(request: Request, user: User | None) -> dict[tuple[str, str], int]:
    """The viewer's mutes by (kind, target), for Mute / Unmute buttons."""
    if user is None:
        return {}
    return {(m.kind.value, m.target): m.id for m in _personal(request).mutes(user.id)}


def _marks(request: Request, user: User | None) -> dict[str, dict[tuple[str, str], int]]:
    """``followed`` and ``muted`` for a page with Follow and Mute buttons."""
    return {"followed": _followed(request, user), "muted": _muted(request, user)}


@router.get("/", name="front", response_class=HTMLResponse)
def front(
    request: Request,
    user: Reader,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    """The reader's own ranked front page once they follow or mute anything (#11); before
    that, and for anonymous readers, every story newest day first."""
    store = _store(request)
    accounts: Accounts = request.app.state.accounts
    if user is not None and (accounts.follows(user.id) or _personal(request).mutes(user.id)):
        page = personal_front_page(
            store, _personal(request), user.id, now=_now(), half_life_hours=_half_life(request)
        )
    else:
        page = front_page(store, offset=offset)
    return _page(request, "front.html", page=page, title="Front page", fragment="_story_list.html")


@router.get("/stories/{story_id}", name="story", response_class=HTMLResponse)
def story(request: Request, story_id: RowId, user: Reader) -> HTMLResponse:
    page = story_page(_store(request), story_id)
    if user is not None:
        # Opening a story is feedback, and marks it read as it is now (outlets, conflicts).
        conflicts = (page.payload.get("coverage") or {}).get("conflicts") or []
        _personal(request).record(
            user.id, story_id, FeedbackKind.OPENED, now=_now(), conflict_count=len(conflicts)
        )
    return _page(
        request,
        "story.html",
        page=page,
        story=page.payload,
        title=page.payload["title"],
        **_marks(request, user),
    )


@router.get("/articles/{article_id}", name="article", response_class=HTMLResponse)
def article(
    request: Request, article_id: RowId, _user: Reader, removed: bool = False
) -> HTMLResponse:
    page = article_page(_store(request), article_id, show_removed=removed)
    return _page(request, "article.html", page=page, title=page.article.title)


@router.get("/entities/{entity_id}", name="entity", response_class=HTMLResponse)
def entity(request: Request, entity_id: RowId, user: Reader) -> HTMLResponse:
    page = entity_page(_store(request), entity_id)
    return _page(
        request,
        "entity.html",
        page=page,
        title=page.entity.name,
        **_marks(request, user),
    )


@router.get("/sources/{source_id}", name="source", response_class=HTMLResponse)
def source(request: Request, source_id: RowId, user: Reader) -> HTMLResponse:
    page = source_page(_store(request), source_id)
    return _page(
        request,
        "source.html",
        page=page,
        title=page.source.name,
        **_marks(request, user),
    )


@router.get("/search", name="search", response_class=HTMLResponse)
def search(
    request: Request, _user: Reader, q: Annotated[str, Query(max_length=500)] = ""
) -> HTMLResponse:
    page = search_page(_store(request), q)
    title = f"Search: {page.query}" if page.query else "Search"
    return _page(request, "search.html", page=page, title=title, fragment="_search_results.html")


# --- login ---------------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", name="login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, "login.html", title="Log in", next=_safe_next(next), error=None)


@router.post("/login", name="login_post", response_model=None)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    limiter: LoginLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    keys = (f"ip:{client}", f"user:{name.strip().lower()}")
    wait_s = limiter.retry_after_s(keys)
    if wait_s:
        return error_response(
            request,
            429,
            f"Too many failed logins. Try again in {wait_s // 60 + 1} minutes.",
            code="login_rate_limited",
            headers={"Retry-After": str(wait_s)},
        )
    accounts: Accounts = request.app.state.accounts
    user = accounts.authenticate(name.strip(), password)
    if user is None:
        limiter.failed(keys)
        page = _page(
            request,
            "login.html",
            title="Log in",
            next=_safe_next(next),
            error="Wrong user name or password.",
        )
        page.status_code = 400
        return page
    # Only the account's counter is reset: a valid login must not wipe the address's failures.
    limiter.succeeded(keys[1:])
    secret = accounts.open_session(user.id, now=_now(), lifetime=SESSION_LIFETIME)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )
    return response


@router.post("/logout", name="logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        accounts: Accounts = request.app.state.accounts
        accounts.close_session(secret)
    response = RedirectResponse(str(request.app.url_path_for("login")), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- settings ------------------------------------------------------------------------------------


def _settings_page(
    request: Request,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    accounts: Accounts = request.app.state.accounts
    page = _page(
        request,
        "settings.html",
        title="Settings",
        feeds=_store(request).feeds(),
        tokens=accounts.tokens(user.id),
        follows=[(f, follow_label(_store(request), f)) for f in accounts.follows(user.id)],
        notice=notice,
        error=error,
        new_token=new_token,
    )
    page.status_code = status
    return page


def _back_to_settings(request: Request, notice: str) -> RedirectResponse:
    target = str(request.app.url_path_for("settings"))
    return RedirectResponse(f"{target}?done={notice}", status_code=303)


@router.get("/settings", name="settings", response_class=HTMLResponse)
def settings_page(request: Request, user: Member, done: str = "") -> HTMLResponse:
    return _settings_page(request, user, notice=_NOTICES.get(done))


@router.post("/settings/feeds", name="settings_feed_add", response_model=None)
def settings_feed_add(
    request: Request,
    user: Member,
    url: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    settings = request.app.state.settings
    try:
        with Fetcher(FetchPolicy.from_settings(settings)) as fetcher:
            subscribe(_store(request), fetcher, url.strip(), now=_now())
    except (FetchError, InputError) as exc:
        return _settings_page(request, user, error=exc.message, status=400)
    return _back_to_settings(request, "feed_added")


@router.post("/settings/feeds/{feed_id}/remove", name="settings_feed_remove")
def settings_feed_remove(
    request: Request, feed_id: RowId, _user: Member, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    _store(request).remove_feed(feed_id)
    return _back_to_settings(request, "feed_removed")


@router.post("/settings/opml", name="settings_opml_import", response_model=None)
async def settings_opml_import(
    request: Request,
    user: Member,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    settings = request.app.state.settings
    data = await file.read(settings.max_input_bytes + 1)
    if len(data) > settings.max_input_bytes:
        return await run_in_threadpool(
            _settings_page, request, user, error="The OPML file is too large.", status=413
        )
    raw = RawDocument(
        data=data,
        fetched_at=_now(),
        format=InputFormat.OPML,
        origin=f"upload:{(file.filename or 'subscriptions.opml')[:200]}",
    )
    report = await run_in_threadpool(
        run_ingest, _store(request), [raw], settings=settings, clock=_now
    )
    problems = [p.message for d in report.documents for p in d.quarantined]
    notice = f"{report.count('feeds_new')} new feeds imported."
    if problems:
        notice += f" {len(problems)} outlines could not be used: " + "; ".join(problems[:5])
    return await run_in_threadpool(
        _settings_page, request, user, notice=notice, status=400 if problems else 200
    )


@router.get("/settings/opml", name="settings_opml_export")
def settings_opml_export(request: Request, _user: Member) -> Response:
    text = opml_document(
        _store(request).feeds(), title="Broadsheet subscriptions", created_at=_now()
    )
    return Response(
        text,
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="broadsheet-subscriptions.opml"'},
    )


@router.post("/settings/password", name="settings_password", response_model=None)
def settings_password(
    request: Request,
    user: Member,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    accounts: Accounts = request.app.state.accounts
    try:
        accounts.change_password(
            user.id, current, new, keep_session=request.cookies.get(SESSION_COOKIE, "")
        )
    except InputError as exc:
        return _settings_page(request, user, error=exc.message, status=400)
    return _back_to_settings(request, "password_changed")


@router.post("/settings/tokens", name="settings_token_create", response_class=HTMLResponse)
def settings_token_create(
    request: Request,
    user: Member,
    name: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    accounts: Accounts = request.app.state.accounts
    _token, secret = accounts.create_token(user.id, name or "web", now=_now())
    # Shown once, in this response only: it is stored hashed and cannot be shown again.
    return _settings_page(request, user, new_token=secret)


@router.post("/settings/tokens/{token_id}/revoke", name="settings_token_revoke")
def settings_token_revoke(
    request: Request, token_id: RowId, user: Member, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    accounts: Accounts = request.app.state.accounts
    accounts.revoke_token(user.id, token_id)
    return _back_to_settings(request, "token_revoked")


# --- follows and the personal feed ---------------------------------------------------------------


@router.get("/following", name="following", response_class=HTMLResponse)
def following(request: Request, user: Member) -> HTMLResponse:
    accounts: Accounts = request.app.state.accounts
    page = following_page(
        _store(request),
        _personal(request),
        user.id,
        accounts.follows(user.id),
        now=_now(),
        half_life_hours=_half_life(request),
    )
    return _page(request, "following.html", page=page, title="Following")


def _back(request: Request, target: str, notice: str) -> RedirectResponse:
    path = _safe_next(target)
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}done={notice}", status_code=303)


@router.post("/follows", name="follow_add")
def follow_add(
    request: Request,
    user: Member,
    kind: Annotated[FollowKind, Form()],
    target: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/following",
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    if kind is not FollowKind.KEYWORD:
        check_follow_target(_store(request), kind, target, user_id=user.id)
    accounts: Accounts = request.app.state.accounts
    accounts.follow(user.id, kind, target, now=_now())
    return _back(request, next, "followed")


@router.post("/follows/{follow_id}/remove", name="follow_remove")
def follow_remove(
    request: Request,
    follow_id: RowId,
    user: Member,
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/following",
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    accounts: Accounts = request.app.state.accounts
    accounts.unfollow(user.id, follow_id)
    return _back(request, next, "unfollowed")


# --- mutes, feedback and topics (#11) ------------------------------------------------------------


@router.post("/mutes", name="mute_add")
def mute_add(
    request: Request,
    user: Member,
    kind: Annotated[FollowKind, Form()],
    target: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/following",
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    if kind is not FollowKind.KEYWORD:
        check_follow_target(_store(request), kind, target, user_id=user.id, verb="mute")
    _personal(request).mute(user.id, kind, target, now=_now())
    return _back(request, next, "muted")


@router.post("/mutes/{mute_id}/remove", name="mute_remove")
def mute_remove(
    request: Request,
    mute_id: RowId,
    user: Member,
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/following",
) -> RedirectResponse:
    check_csrf(request, {"csrf_token": csrf_token})
    _personal(request).unmute(user.id, mute_id)
    return _back(request, next, "unmuted")


@router.post("/stories/{story_id}/feedback", name="story_feedback")
def story_feedback(
    request: Request,
    story_id: RowId,
    user: Member,
    kind: Annotated[FeedbackKind, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> RedirectResponse:
    """Hide or like a story (opening one is recorded by its page)."""
    check_csrf(request, {"csrf_token": csrf_token})
    _personal(request).record(user.id, story_id, kind, now=_now())
    return _back(request, next, kind.value)


def _entity_ids(store: Store, text: str) -> list[int]:
    """Entities named in a form field, comma-separated: ids, or names matched exactly (case
    aside). Raises ``InputError`` naming the first one not found."""
    found: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if is_ascii_digits(part):
            number = row_id(part)
            if number is None:
                raise InputError(f"no entity {part}")
            found.append(find_entity(store, number).id)
            continue
        exact = [e for e in store.find_entities(part) if e.name.casefold() == part.casefold()]
        if not exact:
            raise InputError(f"no entity named {part!r}")
        found.append(exact[0].id)
    return found


def _keyword_list(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _topics_page(request: Request, user: User, *, error: str | None = None) -> HTMLResponse:
    personal = _personal(request)
    topics = personal.topics(user.id)
    names = personal.entity_names(e for t in topics for e in t.entity_ids)
    page = _page(
        request,
        "topics.html",
        title="Topics",
        topics=topics,
        entity_names=names,
        suggestions=personal.suggest_topics(now=_now()),
        followed=_followed(request, user),
        error=error,
    )
    if error:
        page.status_code = 400
    return page


@router.get("/topics", name="topics", response_class=HTMLResponse)
def topics_list(request: Request, user: Member) -> HTMLResponse:
    return _topics_page(request, user)


@router.post("/topics", name="topic_create", response_model=None)
def topic_create(
    request: Request,
    user: Member,
    name: Annotated[str, Form(max_length=200)],
    entities: Annotated[str, Form(max_length=2000)] = "",
    keywords: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    try:
        topic = _personal(request).create_topic(
            user.id,
            name,
            _entity_ids(_store(request), entities),
            _keyword_list(keywords),
            now=_now(),
        )
    except (InputError, NotFound) as exc:
        return _topics_page(request, user, error=str(exc))
    target = request.app.url_path_for("topic", topic_id=topic.id)
    return RedirectResponse(f"{target}?done=topic_saved", status_code=303)


@router.get("/topics/{topic_id}", name="topic", response_class=HTMLResponse)
def topic_page(request: Request, topic_id: RowId, user: Reader, done: str = "") -> HTMLResponse:
    personal = _personal(request)
    topic = personal.topic(topic_id)
    if topic.user_id is not None and (user is None or user.id != topic.user_id):
        raise NotFound(f"no topic {topic_id}")
    store = _store(request)
    ranked = personal.topic_feed(topic, now=_now(), half_life_hours=_half_life(request))
    found = []
    for item in ranked:
        try:
            found.append((store.story(item.story_id)[0], item.reason))
        except NotFound:
            continue
    return _page(
        request,
        "topic.html",
        title=topic.name,
        topic=topic,
        entity_names=personal.entity_names(topic.entity_ids),
        stories=found,
        **_marks(request, user),
        notice=_NOTICES.get(done),
    )


@router.post("/topics/{topic_id}", name="topic_edit", response_model=None)
def topic_edit(
    request: Request,
    topic_id: RowId,
    user: Member,
    name: Annotated[str, Form(max_length=200)],
    entities: Annotated[str, Form(max_length=2000)] = "",
    keywords: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, {"csrf_token": csrf_token})
    _personal(request).update_topic(
        user.id,
        topic_id,
        name,
        _entity_ids(_store(request), entities),
        _keyword_list(keywords),
        now=_now(),
    )
    target = request.app.url_path_for("topic", topic_id=topic_id)
    return RedirectResponse(f"{target}?done=topic_saved", status_code=303)
