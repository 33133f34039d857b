"""Charts as SVG text, drawn by matplotlib without a display: a page embeds them, the command line saves them.

Every chart carries its figures in a title and axis labels a screen reader announces; the page shows the
same numbers in a table beside it, so nothing is only in the picture.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display on a server, and no window on a laptop running the command line

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

WIDTH, HEIGHT = 6.4, 2.8
COLOURS = ("#8b1a1a", "#1f5f8b", "#5f8b1f", "#8b6f1f")
# A fixed hash salt keeps the SVG's ids the same for the same figures, so a saved report does not change.
matplotlib.rcParams["svg.hashsalt"] = "bloodbank"
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: selectable, and read by screen readers


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # the XML prolog and doctype cannot sit inside an HTML page


def bars(title: str, labels: Sequence[str], values: Sequence[float], *, ylabel: str = "") -> str:
    """A bar per label; an empty chart says that nothing was counted."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    axes.set_title(title, fontsize=10)
    if labels:
        positions = range(len(labels))
        axes.bar(positions, values, color=COLOURS[0])
        axes.set_xticks(list(positions), list(labels), rotation=30 if len(labels) > 6 else 0, ha="right"
                        if len(labels) > 6 else "center", fontsize=8)
    else:
        axes.text(0.5, 0.5, "nothing recorded", ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
    axes.set_ylabel(ylabel, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def lines(title: str, days: Sequence[date], series: dict[str, Sequence[float | None]], *, ylabel: str = "") -> str:
    """One line per series over the days; a missing value (None) leaves a gap instead of a false zero."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    axes.set_title(title, fontsize=10)
    for colour, (name, values) in zip(COLOURS, series.items()):
        axes.plot(list(days), [float("nan") if v is None else v for v in values], label=name, color=colour)
    if not days:
        axes.text(0.5, 0.5, "nothing recorded", ha="center", va="center", transform=axes.transAxes)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d"))
    axes.set_ylabel(ylabel, fontsize=8)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def steps(title: str, xs: Sequence[float], series: dict[str, Sequence[float]], *, xlabel: str = "",
          ylabel: str = "", empty: str = "nothing recorded") -> str:
    """Cumulative figures that change at given points (the end of each window): one step line per series."""
    figure, axes = plt.subplots(figsize=(WIDTH, HEIGHT))
    axes.set_title(title, fontsize=10)
    styles = ("-", "--", ":", "-.")
    for colour, style, (name, values) in zip(COLOURS, styles, series.items()):
        axes.step(list(xs), list(values), where="pre", label=name, color=colour, linestyle=style)
    if not any(any(values) for values in series.values()):
        axes.text(0.5, 0.5, empty, ha="center", va="center", transform=axes.transAxes)
    axes.set_xticks(list(xs), [f"{x:g}" for x in xs], fontsize=8)
    axes.set_xlabel(xlabel, fontsize=8)
    axes.set_ylabel(ylabel, fontsize=8)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
