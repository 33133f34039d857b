import json

from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app

runner = CliRunner()


def test_simulate_compares_both_policies_and_writes_json_and_a_report_with_charts(tmp_path):
    out, page = tmp_path / "figures.json", tmp_path / "report.html"
    result = runner.invoke(app, ["simulate", "hamilton-platelets", "--days", "14", "--compare", "--seed", "3",
                                 "--json", str(out), "--report", str(page)])
    assert result.exit_code == 0, result.output
    assert "baseline" in result.output and "ours" in result.output and "target" in result.output
    figures = json.loads(out.read_text())
    assert [r["policy"] for r in figures["results"]] == ["baseline", "ours"]
    assert figures["days"] == 14 and len(figures["stock_by_day"]["ours"]) == 14
    text = page.read_text()
    assert text.count('src="data:image/svg+xml;base64,') >= 2
    assert "Stock over time" in text


def test_the_same_seed_writes_the_same_figures(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        result = runner.invoke(app, ["simulate", "regional-red-cells", "--days", "14", "--json", str(path)])
        assert result.exit_code == 0, result.output
    assert first.read_text() == second.read_text()


def test_a_malformed_scenario_file_is_refused_with_the_field_named(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\ntitle = "x"\nhospital = "x"\n[component]\norder_kind = "platelets"\n')
    result = runner.invoke(app, ["simulate", str(broken), "--days", "14"])
    assert result.exit_code == 2
    assert "component.order_kind" in result.output


def test_simulate_a_region_lists_each_place_in_the_report(tmp_path):
    out, page = tmp_path / "region.json", tmp_path / "region.html"
    result = runner.invoke(app, ["simulate", "region-platelets", "--days", "14", "--compare", "--json", str(out),
                                 "--report", str(page)])
    assert result.exit_code == 0, result.output
    places = json.loads(out.read_text())["places"]
    assert {p["hospital"] for p in places} >= {"blood centre", "H01", "H20"}
    assert "Each place" in page.read_text()


def test_compare_on_an_incident_puts_the_three_appeals_side_by_side_in_json_and_report(tmp_path):
    out, page = tmp_path / "incident.json", tmp_path / "incident.html"
    result = runner.invoke(app, ["simulate", "region-mass-casualty-red-cells", "--days", "16", "--compare",
                                 "--json", str(out), "--report", str(page)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "open appeal" in result.output and "sized appeal" in result.output
    figures = json.loads(out.read_text())
    assert [r["policy"] for r in figures["results"]] == [
        "baseline", "ours", "ours, open appeal", "ours, sized appeal"]
    assert figures["results"][2]["appeal_donors"] == 800
    assert set(figures["incident"]["appeals"]) == {"ours, open appeal", "ours, sized appeal"}
    text = page.read_text()
    assert "appeal: units never used" in text and "casualties' unit-hours waited" in text


def test_an_appeal_without_an_incident_is_refused():
    result = runner.invoke(app, ["simulate", "region-platelets", "--days", "14", "--appeal", "open appeal"])
    assert result.exit_code == 2
    assert "incident" in result.output


def test_an_unknown_appeal_is_refused():
    result = runner.invoke(app, ["simulate", "region-mass-casualty", "--days", "14", "--appeal", "loud"])
    assert result.exit_code == 2
    assert "--appeal" in result.output
