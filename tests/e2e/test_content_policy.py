"""Under the content security policy every page still works: no script or style of ours is refused."""

from playwright.sync_api import expect

PAGES = {
    "clerk": ("/desk", "/desk?q=a", "/desk/appointments"),
    "lab": ("/lab", "/processing", "/trace"),
    "director": ("/", "/inventory", "/hospital", "/trace?q=D0000001", "/incidents", "/incidents/1"),
    "admin": ("/admin", "/admin/audit"),
}


def test_no_page_breaks_the_content_security_policy(page_as):
    for role, paths in PAGES.items():
        page = page_as(role)
        refused = []
        page.on("console", lambda m: refused.append((m.location.get("url"), m.text))
                if "Content Security Policy" in m.text else None)
        for path in paths:
            page.goto(path)
        assert refused == [], (role, refused)


def test_the_live_search_still_runs_under_the_policy(page_as):
    page = page_as("clerk")
    page.goto("/desk")
    page.get_by_label("Name, donor number or phone").press_sequentially("a", delay=20)
    expect(page.locator("#donor-results caption")).to_contain_text("found")


def test_the_api_explorer_renders_offline(page_as, live_server):
    page = page_as("admin")
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto("/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("bloodbank")
    assert failed == []
