"""The language of a request: the person's own choice, else the switcher's cookie, else the browser's."""

from __future__ import annotations

from fastapi import Request

from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.security import principal_of

LANGUAGE_COOKIE = "bloodbank_language"
ONE_YEAR = 365 * 24 * 3600


def language_of(request: Request, *, chosen: str | None = None) -> str:
    """`chosen` is a donor's own language on the pages a donor reads; a staff account's setting comes next."""
    if "language" in request.state._state and chosen is None:
        return request.state.language
    principal = principal_of(request)
    language = languages.choose(chosen, getattr(principal, "language", None), request.cookies.get(LANGUAGE_COOKIE),
                                accept_language=request.headers.get("accept-language"))
    if chosen is None:
        request.state.language = language
    return language


def remember(response, request: Request, language: str) -> None:
    """The switcher's choice, for the pages read before logging in and by those with no account."""
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, samesite="lax", httponly=True,
                        secure=request.url.scheme == "https")


async def in_request_language(request: Request) -> None:
    """The routers' dependency: labels and refusals a route writes before its page renders are in the reader's
    language too. Async on purpose: the language is set in the request's own context, which its route inherits."""
    languages.use(language_of(request))
