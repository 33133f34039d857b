"""The REST API: one router per area of work, all under /api."""

from fastapi import APIRouter

from bloodbank.entrypoints.web.api import (
    admin, appointments, collection, donors, hospitals, inventory, lab, orders, scan, sites, trace, transfusion,
    units, visits,
)

router = APIRouter(prefix="/api")
for module in (admin, sites, donors, visits, appointments, collection, units, lab, inventory, hospitals, orders,
               transfusion, trace, scan):
    router.include_router(module.router)
