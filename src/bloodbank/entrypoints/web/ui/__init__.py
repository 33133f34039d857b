"""The pages: one router per role's area of work, all server-rendered."""

from fastapi import APIRouter

from bloodbank.entrypoints.web.ui import (
    admin, collection, desk, home, hospital, inventory, kiosk, lab, login, processing, trace,
)

router = APIRouter(include_in_schema=False)
for module in (login, home, desk, kiosk, collection, processing, lab, inventory, hospital, trace, admin):
    router.include_router(module.router)
