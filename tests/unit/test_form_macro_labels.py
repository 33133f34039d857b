"""A form macro's label, legend, hint or signature meaning is never a bare English literal in a page: it goes
through `_()` (or comes from code that translates it), so the catalogues hold it and every reader sees it in
their own language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "src" / "bloodbank" / "entrypoints" / "web" / "templates"
# Each macro of forms.html, and the position and name of its arguments a person reads.
READ_ARGUMENTS = {"field": (1, "label"), "select": (1, "label"), "scan": (1, "label"),
                  "checkboxes": (1, "legend"), "signature": (0, "meaning")}
ALSO_READ = {"hint"}
TRANSLATING = {"_", "gettext", "ngettext", "tr"}
WORDS = re.compile(r"[A-Za-z]{2,}")


def _bare_literals(node: nodes.Node) -> list[str]:
    """English text in an expression that no translating call wraps."""
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in TRANSLATING:
        return []
    if isinstance(node, nodes.Const):
        return [node.value] if isinstance(node.value, str) and WORDS.search(node.value) else []
    found = []
    for child in node.iter_child_nodes():
        found += _bare_literals(child)
    return found


def _macro_calls(tree: nodes.Template):
    """(macro, argument expression) for each read argument of each call to a forms.html macro, as `f.name(...)`."""
    for call in tree.find_all(nodes.Call):
        target = call.node
        if not (isinstance(target, nodes.Getattr) and isinstance(target.node, nodes.Name)
                and target.attr in READ_ARGUMENTS):
            continue
        position, name = READ_ARGUMENTS[target.attr]
        if len(call.args) > position:
            yield target.attr, call.args[position]
        for keyword in call.kwargs:
            if keyword.key == name or keyword.key in ALSO_READ:
                yield target.attr, keyword.value


def _templates() -> list[Path]:
    return sorted(TEMPLATE_DIR.rglob("*.html"))


def _untranslated(source: str) -> list[tuple[str, str]]:
    environment = Environment(extensions=["jinja2.ext.i18n"])
    tree = environment.parse(source)
    return [(macro, text) for macro, argument in _macro_calls(tree) for text in _bare_literals(argument)]


@pytest.mark.parametrize("template", _templates(), ids=lambda path: str(path.relative_to(TEMPLATE_DIR)))
def test_no_page_passes_a_form_macro_a_bare_english_label_legend_hint_or_meaning(template):
    assert _untranslated(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_bare_label_a_bare_hint_and_a_bare_piece_of_a_joined_label():
    source = """{% import "forms.html" as f %}
    {{ f.field("a", "Bag lot") }}{{ f.field("b", _("Bag lot"), hint="Copy it from the bag.") }}
    {{ f.select("c", "Patients of group " ~ g ~ " waiting", options) }}{{ f.checkboxes("d", legend="Hospitals") }}
    {{ f.signature("I accept the risk.") }}"""
    assert _untranslated(source) == [("field", "Bag lot"), ("field", "Copy it from the bag."),
                                     ("select", "Patients of group "), ("select", " waiting"),
                                     ("checkboxes", "Hospitals"), ("signature", "I accept the risk.")]


def test_the_check_lets_a_translated_label_a_label_from_code_and_a_translated_hint_pass():
    source = """{% import "forms.html" as f %}
    {{ f.field("a", _("Bag lot"), hint=_("Copy it from the bag.") if x else _("Leave it.")) }}
    {{ f.select("b", q.text, [("", "-"), ("yes", _("Yes"))]) }}{{ f.select("c", tr(q.text), options) }}
    {{ f.field("d", _("Patients of group %(group)s waiting", group=g)) }}{{ f.signature(meaning) }}"""
    assert _untranslated(source) == []
