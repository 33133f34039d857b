"""The text of an appeal: neutral, short, saying how to decline and how to stop all appeals.

Declining has no consequence, and the text says so. No group, no diagnosis, no
incident detail is written into a message that may be read on a shared phone.
"""

from __future__ import annotations

from datetime import date

SUBJECT = "Blood donors needed in the next days"


def sms_text(*, site_name: str, day: date, link: str) -> str:
    return (f"Blood donors are needed at {site_name} from {day:%a %d %b}. Can you give? Pick a time: {link} "
            "Reply YES to book the earliest time, NO to decline (no consequence), STOP for no more appeals.")


def email_text(*, site_name: str, day: date, link: str) -> str:
    # No name: the outbox keeps no personal data, and the address is read from the record when sending.
    return ("Dear donor,\n\n"
            f"Blood donors are needed at {site_name} over the next few days, from {day:%A %d %B}.\n"
            f"If you can give, choose a time here:\n{link}\n\n"
            "If you cannot, simply ignore this message or decline on that page: declining has no consequence.\n"
            "To receive no more appeals, choose \"stop appeals\" on that page.\n\n"
            "Thank you.\n")


def reply_command(text: str) -> str | None:
    """YES, NO or STOP from an SMS reply, whatever the case and punctuation; None for anything else."""
    word = "".join(ch for ch in (text or "").strip().upper() if ch.isalpha() or ch == " ").split()
    first = word[0] if word else ""
    if first in ("YES", "Y"):
        return "YES"
    if first in ("NO", "N"):
        return "NO"
    if first in ("STOP", "UNSUBSCRIBE", "END", "QUIT", "CANCEL"):
        return "STOP"
    return None
