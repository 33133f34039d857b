"""The compatibility tag tied to a unit at issue: what it must say, and the code that ties it to its issue.

The tag names the patient the unit was issued for (name, date of birth, identifiers), the unit (DIN, group,
product, expiry) and the basis on which it was judged compatible. At the bedside the nurse scans the tag,
the bag and the band: the tag's code names the issue, so a tag on the wrong bag is a stop like a wrong band.
"""

from __future__ import annotations

import re

from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_

PREFIX = "BBT"  # "blood bank tag": no ISBT 128 data identifier starts so, so a tag is never read as a unit
_CODE = re.compile(rf"{PREFIX}(\d{{10}})")

BASES = {
    "crossmatch": N_("Serological crossmatch compatible"),
    "electronic": N_("Electronic issue: group confirmed on two samples, antibody screen negative"),
    "emergency": N_("EMERGENCY: issued before compatibility testing was complete"),
    "group_compatible": N_("ABO/RhD compatible: no crossmatch needed for this component"),
}


def tag_code(issue_id: int) -> str:
    if isinstance(issue_id, bool) or not isinstance(issue_id, int) or not 1 <= issue_id <= MAX_ID:
        raise InvalidInput(f"There is no issue {issue_id!r} to print a tag for.")
    return f"{PREFIX}{issue_id:010d}"


def read_tag_code(text: str) -> int:
    """The issue a scanned tag names; a scan of anything else is refused in words."""
    match = _CODE.fullmatch((text or "").strip().upper())
    if match is None or int(match.group(1)) < 1 or int(match.group(1)) > MAX_ID:
        raise InvalidInput("That is not a compatibility tag's code (it starts BBT and has ten digits): scan the "
                           "barcode marked 'TAG' on the tag tied to the bag.")
    return int(match.group(1))


def basis(*, emergency: bool, electronic: bool, crossmatched: bool) -> str:
    """Why the unit was judged fit for this patient, in the words printed on the tag."""
    if emergency:
        return "emergency"
    if electronic:
        return "electronic"
    if crossmatched:
        return "crossmatch"
    return "group_compatible"  # plasma, platelets, cryoprecipitate: matched by group, never crossmatched
