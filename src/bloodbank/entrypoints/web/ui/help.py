"""Pages: short help for each task, what to scan, what each refusal means and what to do next."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bloodbank.domain.access import Permission
from bloodbank.domain.messages import N_
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.help_topics import TITLES, TOPICS
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render

router = APIRouter()
SIGNED_IN = Depends(require(Permission.OWN_ACCOUNT))  # every person has it; help is for staff signed in


@router.get("/help")
def help_index(request: Request, caller: Caller = SIGNED_IN):
    return render(request, "help/index.html", topics=[(topic, title) for _, topic, title in TOPICS])


@router.get("/help/{topic}")
def help_page(request: Request, topic: str, caller: Caller = SIGNED_IN):
    if topic not in TITLES:
        message = languages.gettext(N_("There is no help on '%(topic)s': see /help for every topic.")) % {
            "topic": topic[:40]}
        return Response(message + "\n", status_code=404,
                        media_type="text/plain; charset=utf-8")
    return render(request, f"help/{topic}.html", title=TITLES[topic], topic=topic)
