"""On a tablet (768 px wide) every role's home keeps its deciding columns reachable: the page never scrolls
sideways, and a table too wide for the screen scrolls in its own box with a shadow cue at the hidden edge."""

import pytest

from tests.e2e.test_role_homes import HOMES

TABLET = {"width": 768, "height": 1024}
# Columns whose value decides what a person does next.
DECIDING = ("status", "held", "issued", "expires", "blood group", "group", "urgency", "needed by")

MEASURE = """() => {
    const tables = [...document.querySelectorAll('main table')].filter(t => t.offsetParent !== null);
    return {
        page: [document.scrollingElement.scrollWidth, window.innerWidth],
        tables: tables.map(t => {
            const style = getComputedStyle(t);
            const headers = [...t.querySelectorAll('thead th')].map(th => {
                const box = th.getBoundingClientRect();
                return [th.innerText.trim().toLowerCase(), box.right];
            });
            return {id: t.id || t.closest('section')?.id || '', scroll: t.scrollWidth, client: t.clientWidth,
                    overflow: style.overflowX, cue: style.backgroundImage, headers};
        }),
    };
}"""


@pytest.mark.parametrize("username", sorted(set(HOMES) - {"hospital2"}))
def test_a_home_at_tablet_width_hides_no_deciding_column_without_a_cue(page_as, username):
    page = page_as(username, **TABLET)
    page.goto(HOMES[username])
    found = page.evaluate(MEASURE)
    width, viewport = found["page"]
    assert width <= viewport, f"{HOMES[username]} scrolls sideways ({width} px on a {viewport} px screen)"
    for table in found["tables"]:
        hidden = [name for name, right in table["headers"] if right > viewport + 1]
        deciding = [name for name in hidden if any(word in name for word in DECIDING)]
        if table["scroll"] > table["client"]:
            assert table["overflow"] in ("auto", "scroll"), (table["id"], "wider than the screen and cut off")
            assert "gradient" in table["cue"], (table["id"], "wider than the screen with no cue that it scrolls")
        else:
            assert not deciding, (table["id"], f"columns {deciding} are off-screen")
