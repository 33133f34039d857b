"""A command typed with Arabic-Indic digits runs as the same command with ASCII digits."""

import importlib

cli = importlib.import_module("bloodbank.entrypoints.cli.app")  # the module, not the app it exports


def test_the_commands_arguments_are_read_in_ascii_digits(monkeypatch):
    ran = {}
    monkeypatch.setattr(cli, "app", lambda args, prog_name: ran.update(args=args))
    cli.main(["trace", "=A٩٩٩٠ ٢٦ ١٢٣٤٥٦", "--donor-number", "۰۰۰۱۲"])
    assert ran["args"] == ["trace", "=A9990 26 123456", "--donor-number", "00012"]
