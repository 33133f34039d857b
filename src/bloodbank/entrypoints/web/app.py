"""Application factory: one app per database, so tests and the server build it the same way."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from bloodbank import __version__
from bloodbank.adapters.db.database import Database
from bloodbank.domain.blood_groups import ALL_GROUPS
from bloodbank.domain.errors import DomainError
from bloodbank.service_layer.overview import overview
from bloodbank.service_layer.unit_of_work import UnitOfWork

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(database_url: str) -> FastAPI:
    database = Database(database_url)
    app = FastAPI(title="bloodbank", version=__version__)
    app.state.database = database

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, error: DomainError):
        return JSONResponse(status_code=422, content={"code": error.code, "message": error.message})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request):
        figures = overview(UnitOfWork(database, actor="web"))
        groups = [(str(g), figures.donors_by_group.get(str(g), 0)) for g in ALL_GROUPS]
        return TEMPLATES.TemplateResponse(request, "home.html", {"figures": figures, "groups": groups})

    @app.get("/api/overview")
    def api_overview() -> dict:
        figures = overview(UnitOfWork(database, actor="api"))
        return figures.__dict__

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "version": __version__}

    return app
