from typer.testing import CliRunner

from bloodbank.config import get_settings
from bloodbank.entrypoints.cli import app


def test_serve_refuses_to_start_with_the_test_suites_cheap_password_hashing(monkeypatch):
    monkeypatch.setenv("BLOODBANK_PASSWORD_HASHING", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "9"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "for the test suite only" in " ".join(result.output.split())


def test_the_tool_switch_turns_a_missing_tool_into_a_failure(monkeypatch):
    import pytest

    from tests import tools

    monkeypatch.setattr(tools, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match="a tool is missing: no zbarimg"):
        tools.missing_tool("no zbarimg")
    monkeypatch.setattr(tools, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="no zbarimg"):
        tools.missing_tool("no zbarimg")
