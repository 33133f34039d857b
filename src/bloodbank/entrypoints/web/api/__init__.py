"""The REST API: one router per area of work, all under /api."""

from fastapi import APIRouter, Depends

from bloodbank.entrypoints.web.api.blood import inventory, lab, scan, units
from bloodbank.entrypoints.web.api.crisis import appeal_board, appeals, incidents
from bloodbank.entrypoints.web.api.donor_portal import erasure_requests, home_answers, my
from bloodbank.entrypoints.web.api.donors import appointments, collection, donors, sites, visits
from bloodbank.entrypoints.web.api.field import walking_blood_bank
from bloodbank.entrypoints.web.api.hospital import hospitals, massive_transfusion, orders, transfusion
from bloodbank.entrypoints.web.api.reporting import monthly, public
from bloodbank.entrypoints.web.api.staff import admin
from bloodbank.entrypoints.web.api.traceability import trace
from bloodbank.entrypoints.web.i18n import in_request_language

router = APIRouter(prefix="/api", dependencies=[Depends(in_request_language)])
for module in (admin, sites, donors, visits, appointments, collection, units, lab, inventory, hospitals, orders,
               transfusion, trace, scan, incidents, monthly, public, walking_blood_bank, appeals, appeal_board,
               massive_transfusion, my, erasure_requests, home_answers):
    router.include_router(module.router)
