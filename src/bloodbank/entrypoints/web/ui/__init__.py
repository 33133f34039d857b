"""The pages: one router per role's area of work, all server-rendered."""

from fastapi import APIRouter, Depends

from bloodbank.entrypoints.web.i18n import in_request_language
from bloodbank.entrypoints.web.ui import help, home, public
from bloodbank.entrypoints.web.ui.blood import inventory, lab, processing
from bloodbank.entrypoints.web.ui.crisis import appeal_board, appeals, incidents
from bloodbank.entrypoints.web.ui.donor_portal import my_pages, sign_in
from bloodbank.entrypoints.web.ui.donors import collection, desk, donor_record, erasure, kiosk, portal_requests
from bloodbank.entrypoints.web.ui.field import walking_blood_bank
from bloodbank.entrypoints.web.ui.hospital import hospital, massive_transfusion
from bloodbank.entrypoints.web.ui.reporting import monthly
from bloodbank.entrypoints.web.ui.staff import account, admin, language, login
from bloodbank.entrypoints.web.ui.traceability import trace

router = APIRouter(include_in_schema=False, dependencies=[Depends(in_request_language)])
for module in (login, account, language, home, desk, donor_record, erasure, portal_requests, kiosk, collection, processing, lab,
               inventory, hospital, massive_transfusion, incidents, monthly, walking_blood_bank, appeals,
               appeal_board, trace, admin, help, public, sign_in, my_pages):
    router.include_router(module.router)
