"""The HTML report of a study: the figures beside the targets, and charts embedded as base64 SVG.

One file that opens anywhere, with no request for anything else. Every chart
has its figures in the tables beside it.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from bloodbank.simulation.engine import START  # noqa: E402
from bloodbank.simulation.metrics import TARGET_OF, meets  # noqa: E402
from bloodbank.simulation.study import Study  # noqa: E402

matplotlib.rcParams["svg.hashsalt"] = "bloodbank"
COLOURS = {"baseline": "#8b6f1f", "ours": "#1f5f8b", "ours, open appeal": "#8b1a5f", "ours, sized appeal": "#1f8b4f"}
SHOWN_DAYS = 91  # a longer run's stock is drawn for its first 13 weeks: a year of days is a solid block
OUTCOMES = ("outdating", "shortage", "o_negative_to_others", "abo_non_identical")
ROWS = (("outdating", "outdating", True), ("shortage", "shortage", True), ("fill_rate", "fill rate", True),
        ("requests_filled_in_full", "requests filled in full", True),
        ("mean_age_at_transfusion_days", "mean age at transfusion (days)", False),
        ("o_negative_to_others", "O-negative red cells to others", True),
        ("abo_non_identical", "ABO-non-identical", True), ("mean_stock", "mean stock (units)", False),
        ("units_received", "units received", False), ("units_issued", "units issued", False),
        ("units_outdated", "units outdated", False), ("units_short", "units short", False),
        ("hospital_outdating", "outdating at the hospitals", True),
        ("centre_outdating", "outdating at the blood centre", True),
        ("appeal_donors", "appeal: donors bled", False), ("appeal_units", "appeal: usable units", False),
        ("appeal_unused", "appeal: units never used", True),
        ("appeal_units_outdated", "appeal: units outdated", False),
        ("appeal_extra_units_outdated", "appeal: more units outdated than without it", False),
        ("casualty_units", "casualties' units asked", False),
        ("casualty_units_late", "casualties' units given late", False),
        ("casualty_hours_waited", "casualties' unit-hours waited", False),
        ("casualty_longest_wait_hours", "longest wait (hours)", False))
HOURS = ("casualty_hours_waited",)


def _image(figure, alt: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def stock_chart(study: Study) -> str:
    figure, axes = plt.subplots(figsize=(7.5, 3))
    shown = min(study.days, SHOWN_DAYS)
    for run in study.runs:
        days = [START + timedelta(days=d) for d in range(shown)]
        axes.plot(days, run.stock_by_day[:shown], label=run.policy.name, color=COLOURS.get(run.policy.name),
                  linewidth=0.9, drawstyle="steps-post")
    part = f", the first {shown // 7} weeks" if shown < study.days else ""
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    axes.set_title(f"Units in stock at the end of each day{part}: {study.scenario.title}", fontsize=9)
    axes.set_ylabel("units", fontsize=8)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _image(figure, "Units in stock at the end of each day, for each policy")


def outcome_chart(study: Study) -> str:
    # Fill rates sit near 100 %: beside them the few per cent that matter would not show.
    shown = [(k, label) for k, label, _ in ROWS[:7] if k in OUTCOMES
             and any(s.get(k) is not None for s in study.summaries)]
    figure, axes = plt.subplots(figsize=(7.5, 3))
    width = 0.8 / len(study.summaries)
    for i, summary in enumerate(study.summaries):
        values = [100 * (summary.get(k) or 0.0) for k, _ in shown]
        axes.bar([j + i * width for j in range(len(shown))], values, width, label=summary["policy"],
                 color=COLOURS.get(summary["policy"]))
    axes.set_xticks([j + width * (len(study.summaries) - 1) / 2 for j in range(len(shown))],
                    [label for _, label in shown], fontsize=7, rotation=15)
    axes.set_ylabel("%", fontsize=8)
    axes.set_title("Each policy's outcome", fontsize=9)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _image(figure, "Each policy's outcome in per cent")


def frontier_chart(study: Study) -> str:
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for name in ("baseline", "ours"):
        line = sorted((p.shortage, p.outdating) for p in study.points if p.policy == name)
        axes.plot([100 * s for s, _ in line], [100 * o for _, o in line], marker="o", markersize=3,
                  label=f"{name} (sweep)", color=COLOURS[name])
    targets = study.scenario.targets
    if "shortage_max" in targets and "outdating_max" in targets:
        axes.plot([100 * targets["shortage_max"]], [100 * targets["outdating_max"]], marker="*", markersize=12,
                  color="#8b1a1a", linestyle="none", label="target")
    axes.set_xlabel("shortage (%)", fontsize=8)
    axes.set_ylabel("outdating (%)", fontsize=8)
    axes.set_title("Outdating against shortage as each policy's level is swept", fontsize=9)
    axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _image(figure, "Outdating against shortage for each policy's sweep of levels")


def _cell(value, percent: bool) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{100 * value:.2f} %"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _results_table(study: Study) -> str:
    targets = study.scenario.targets
    head = "".join(f"<th>{html.escape(s['policy'])}</th>" for s in study.summaries)
    rows = []
    for key, label, percent in ROWS:
        if all(s.get(key) is None for s in study.summaries):
            continue
        target = ""
        if key in TARGET_OF and TARGET_OF[key][0] in targets:
            name, sign = TARGET_OF[key]
            target = f"{sign} {targets[name]:g} h" if key in HOURS else f"{sign} {100 * targets[name]:.2f} %"
        cells = []
        for s in study.summaries:
            verdict = meets(s, targets).get(key)
            mark = "" if verdict is None else (" ✓" if verdict else " ✗")
            cells.append(f"<td>{_cell(s.get(key), percent)}{mark}</td>")
        rows.append(f"<tr><th scope='row'>{label}</th>{''.join(cells)}<td>{target}</td></tr>")
    return f"<table><tr><th></th>{head}<th>target</th></tr>{''.join(rows)}</table>"


def _frontier_table(study: Study) -> str:
    rows = "".join(f"<tr><td>{p.policy}</td><td>{p.setting:g}</td><td>{100 * p.outdating:.2f} %</td>"
                   f"<td>{100 * p.shortage:.2f} %</td></tr>" for p in study.points)
    at = study.frontier_at_target()
    shortage = study.scenario.targets.get("shortage_max")
    reading = "".join(f"<li>{name}: {'not reached' if v is None else f'{100 * v:.2f} %'} outdating at "
                      f"{100 * shortage:.2f} % shortage</li>" for name, v in at.items())
    return (f"<table><tr><th>policy</th><th>setting</th><th>outdating</th><th>shortage</th></tr>{rows}</table>"
            + (f"<p>Read off each frontier:</p><ul>{reading}</ul>" if reading else ""))


def _places_table(study: Study) -> str:
    rows = "".join(f"<tr><td>{html.escape(p['policy'])}</td><td>{html.escape(p['hospital'])}</td>"
                   f"<td>{p['units_received']}</td><td>{p['units_issued']}</td><td>{p['units_shipped']}</td>"
                   f"<td>{p['units_rotated_out']}</td><td>{_cell(p['outdating'], True)}</td>"
                   f"<td>{_cell(p['shortage'], True)}</td></tr>" for p in study.places)
    return ("<table><tr><th>policy</th><th>place</th><th>received</th><th>issued</th><th>shipped</th>"
            f"<th>rotated out</th><th>outdating</th><th>shortage</th></tr>{rows}</table>")


def _sources(study: Study) -> str:
    rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(v)}</td></tr>"
                   for k, v in study.scenario.sources.items())
    return f"<table><tr><th>parameter</th><th>source</th></tr>{rows}</table>"


def _incident(study: Study) -> str:
    if not study.incident:
        return ""
    first, last = study.incident["week"]
    units = ", ".join(f"day {d}: {n}" for d, n in study.incident["units_needed_by_day"].items())
    appeals = "".join(
        f"<li><b>{html.escape(name)}</b>: {sum(b['donors'] for b in a['donations'])} donors bled, "
        f"{sum(b['units'] for b in a['donations'])} usable units, released on days "
        f"{', '.join(str(d) for d in sorted({b['release_day'] for b in a['donations']})) or '–'}"
        + (f"; the live sizing asked for {', '.join(f'{g} {n}' for g, n in a['donors_needed_by_group'].items())} "
           f"donors ({a['invitations']} invitations)" if a["variant"] == "sized appeal" else "") + "</li>"
        for name, a in study.incident.get("appeals", {}).items())
    return (f"<p>A mass-casualty incident on day {study.incident['day']}. The figures below are its week "
            f"(days {first}-{last}); the appeal's and the casualties' figures are the whole run's. The "
            f"casualties' need ({html.escape(study.scenario.order_kind.replace('_', ' '))}), from the domain's "
            f"forecast: {units}.</p>" + (f"<ul>{appeals}</ul>" if appeals else ""))


def render(study: Study) -> str:
    s = study.scenario
    policies = "".join(f"<li><b>{html.escape(r.policy.name)}</b>: {html.escape(r.policy.description)}</li>"
                       for r in study.runs)
    frontier = ""
    if study.points:
        frontier = f"<h2>Frontier</h2>{frontier_chart(study)}{_frontier_table(study)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(s.title)}: simulation</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:0.5rem 0}}td,th{{border:1px solid #ccc;padding:0.2rem 0.5rem;text-align:left}}
img{{max-width:100%}}</style></head><body>
<h1>{html.escape(s.title)}</h1>
<p>{html.escape(s.hospital)}, {html.escape(s.order_kind.replace('_', ' '))}; {study.days} simulated days, seed
{study.seed}. Every policy faced the same requests and the same deliveries' remaining lives.</p>
<ul>{policies}</ul>
{_incident(study)}<h2>Figures and targets</h2>{_results_table(study)}
{outcome_chart(study)}
<h2>Stock over time</h2>{stock_chart(study)}
{frontier}
{f"<h2>Each place</h2>{_places_table(study)}" if study.places else ""}
<h2>Parameters and their sources</h2>{_sources(study)}
</body></html>
"""
