"""The dashboard's chart: red cells needed against red cells on hand, with and without the appeal, over the
hours after the incident. Its words come in the reader's language from the entry point that shows it."""

from __future__ import annotations

from collections.abc import Callable

from bloodbank.adapters import plots
from bloodbank.domain.messages import N_
from bloodbank.service_layer.crisis.appeal_dashboard import Dashboard


def need_and_supply(board: Dashboard, gettext: Callable[[str], str] = lambda text: text) -> tuple[str, str]:
    """The chart as SVG, and what it shows in words for those who cannot see it."""
    xs = [p.hours for p in board.points]
    svg = plots.steps(gettext(N_("Red cells: need against supply")), xs, {
        gettext(N_("need")): [p.need for p in board.points],
        gettext(N_("on hand before the appeal")): [p.on_hand for p in board.points],
        gettext(N_("with the appeal")): [p.with_appeal for p in board.points],
    }, xlabel=gettext(N_("hours after the incident")), ylabel=gettext(N_("units")),
        empty=gettext(N_("nothing recorded")))
    last = board.points[-1]
    words = gettext(N_("Step chart of red cells needed and on hand up to each window's end; by 72 h, %(need)s "
                       "needed, %(on_hand)s on hand before the appeal, %(with_appeal)s with it. The table "
                       "gives each figure.")) % {"need": last.need, "on_hand": last.on_hand,
                                                 "with_appeal": f"{last.with_appeal:g}"}
    return svg, words
