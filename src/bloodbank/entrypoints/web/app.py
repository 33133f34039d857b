"""Application factory: one app per database, so tests and the server build it the same way.

The REST API lives under /api (JSON, OpenAPI at /openapi.json); the pages under
/ are server-rendered. Both call the same use cases; errors are translated here
and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bloodbank import __version__
from bloodbank.adapters.db.database import Database
from bloodbank.config import get_settings
from bloodbank.domain.errors import DomainError
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web import api, ui
from bloodbank.entrypoints.web.digits import AsciiDigits
from bloodbank.entrypoints.web.donor_security import DonorNotSignedIn
from bloodbank.entrypoints.web.errors import error_body, status_for
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.headers import BodyLimit, SecurityHeaders
from bloodbank.entrypoints.web.i18n import language_of
from bloodbank.entrypoints.web.security import Forbidden, MustChangePassword, NotAuthenticated
from bloodbank.entrypoints.web.templating import render

DESCRIPTION = """Every use case of the donor and blood sides. Authenticate with an API token
(`Authorization: Bearer …`, issued by an administrator) or a browser session. Errors are JSON
`{"code": "...", "message": "..."}`: the code is stable, the message is for a person."""


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/health", "/openapi.json")


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bloodbank API</title>
<link rel="stylesheet" href="/static/{assets}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/{assets}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>"""
SWAGGER_ASSETS = "swagger-ui-5.35.0"


def app_from_environment() -> FastAPI:
    """The app of one worker process started by `bloodbank serve --workers N`: the database comes from the
    environment the serving command set."""
    return create_app(get_settings().database_url)


def create_app(database_url: str) -> FastAPI:
    # The explorer is served below from vendored files: no CDN, so it works offline and under our policy.
    app = FastAPI(title="bloodbank", version=__version__, description=DESCRIPTION, docs_url=None,
                  redoc_url=None)
    app.state.database = Database(database_url)
    app.add_middleware(AsciiDigits)  # inside the body limit: only a body it let through is read whole
    app.add_middleware(BodyLimit, limit=get_settings().max_body_bytes)
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError):
        if _wants_json(request):
            languages.use(language_of(request))
            return JSONResponse(status_code=status_for(error), content=error_body(error))
        return render(request, "error.html", status_code=status_for(error), message=error)

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, error: NotAuthenticated):
        if _wants_json(request):
            languages.use(language_of(request))
            if isinstance(error, DonorNotSignedIn):
                return JSONResponse(status_code=401, content={
                    "code": "not_authenticated",
                    "message": languages.gettext(N_("Sign in to your donor page (POST /api/my/sign-in)."))})
            return JSONResponse(status_code=401, headers={"WWW-Authenticate": "Bearer"},
                                content={"code": "not_authenticated",
                                         "message": languages.gettext(N_("Log in or send an API token."))})
        if request.url.path == "/my" or request.url.path.startswith("/my/"):
            return RedirectResponse("/my/sign-in", status_code=303)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(MustChangePassword)
    async def _must_change_password(request: Request, _error: MustChangePassword):
        if _wants_json(request):
            languages.use(language_of(request))
            return JSONResponse(status_code=403, content={
                "code": "must_change_password",
                "message": languages.gettext(N_("Your password was reset: choose your own first "
                                                "(PUT /api/me/password)."))})
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden):
        languages.use(language_of(request))
        # The role's name is ours too: it is shown in the reader's language inside the sentence.
        message = languages.gettext(error.template) % {k: languages.gettext(v) for k, v in error.params.items()}
        if _wants_json(request):
            return JSONResponse(status_code=403, content={"code": "forbidden", "message": message})
        return render(request, "error.html", status_code=403, message=message)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, error: RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg', 'invalid')}"
            for e in error.errors()
        )
        if _wants_json(request):
            return JSONResponse(status_code=422, content={"code": "invalid_request", "message": problems})
        return render(request, "error.html", status_code=422, message=problems)

    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, _error: OverflowError):
        # A number no database column can hold (an id of 2**63, say) matches no record and is no crash.
        languages.use(language_of(request))
        message = languages.gettext(N_("A number in the request is out of range."))
        if _wants_json(request):
            return JSONResponse(status_code=422, content={"code": "out_of_range", "message": message})
        return render(request, "error.html", status_code=422, message=message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        if _wants_json(request):
            return JSONResponse(status_code=error.status_code, headers=getattr(error, "headers", None),
                                content={"code": "http_error", "message": str(error.detail)})
        return render(request, "error.html", status_code=error.status_code, message=str(error.detail))

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(api.router)
    app.include_router(ui.router)

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE.format(assets=SWAGGER_ASSETS))

    @app.get("/health", tags=["system"])
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
