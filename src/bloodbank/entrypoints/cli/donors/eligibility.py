"""`bloodbank eligibility`: check a donor's facts against a regime's rules.

`check` exits 0 whether or not the donor is eligible (the answer is in the
JSON); exit status 2 means the input could not be read at all, so a script
can never mistake a typing error for a deferral.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from bloodbank.domain.eligibility import (
    RULE_SETS,
    deferral_codes,
    evaluate,
    facts_from_mapping,
    load_rule_set,
)
from bloodbank.domain.errors import InvalidInput

app = typer.Typer(
    help="Donor eligibility: check a donor's facts against a regime's rules (WHO, EU, US FDA, UK).",
    no_args_is_help=True,
)

_RULES_HELP = f"Rule set to apply: {', '.join(RULE_SETS)}."


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        _fail(f"{path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}")


@app.command("check")
def check(
    facts_file: str = typer.Argument(..., metavar="FACTS.json", help="Donor facts as JSON; '-' reads standard input."),
    rules: str = typer.Option("who", "--rules", help=_RULES_HELP),
) -> None:
    """Print {"eligible", "reasons", "next_eligible_date"} as JSON for the donor in FACTS.json."""
    try:
        rule_set = load_rule_set(rules)
        facts = facts_from_mapping(_read_json(facts_file))
    except InvalidInput as error:
        _fail(error.message)
    decision = evaluate(facts, rule_set)
    result = {
        "eligible": decision.eligible,
        "reasons": list(decision.reasons),
        "next_eligible_date": decision.next_eligible_date.isoformat() if decision.next_eligible_date else None,
    }
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


@app.command("rules")
def list_rules() -> None:
    """List the rule sets that can be applied."""
    for name in RULE_SETS:
        rule_set = load_rule_set(name)
        kinds = ", ".join(rule_set.kinds)
        typer.echo(f"{name}\t{rule_set.title} [{kinds}]")


@app.command("deferral-codes")
def list_deferral_codes(rules: str = typer.Option("who", "--rules", help=_RULES_HELP)) -> None:
    """List the deferral codes a rule set defines, with their meaning and duration."""
    try:
        rule_set = load_rule_set(rules)
    except InvalidInput as error:
        _fail(error.message)
    for code, description in deferral_codes(rule_set).items():
        typer.echo(f"{code}\t{description}")
