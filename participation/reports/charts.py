"""Charts of children's reactions for organisers, drawn on the server as SVG.

Readable by someone who never reads charts: one 100% bar per part, each reaction with its own
colour, hatch pattern and face icon (the faces children tapped) and its name written in the
bar when it fits; a legend with the same patterns and faces; small multiples (one panel per
language or age band) rather than more colours. A bar whose shares cannot be published
(privacy.shares gives None) is a plain grey "too few children to show" bar: no number at all.

matplotlib is imported inside the functions (app start and `flask routes` stay fast) and drawn
without pyplot on its SVG canvas, under a lock because rcParams are process-wide. The output is
deterministic (fixed hash salt, no date): the same figures give the same bytes, so it can be
cached and compared in tests. Text is set in DejaVu Sans, which ships with matplotlib.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

KINDS: tuple[str, ...] = ("agree", "unsure", "disagree", "confused")
# Okabe-Ito colours (told apart with colour-blindness), each with its own hatch as well.
COLOURS = {"agree": "#009E73", "unsure": "#E69F00", "disagree": "#D55E00",
           "confused": "#56B4E9"}
HATCHES = {"agree": "//", "unsure": "..", "disagree": "xx", "confused": "oo"}
TOO_FEW_COLOUR = "#E5E7EB"
INK, MUTED = "#1F2937", "#4B5563"
FONT = "DejaVu Sans"
HASH_SALT = "participation-report-charts"
WIDTH_IN = 8.0  # fits the A4 text block and a laptop column
LABEL_IN = 2.7  # room for the parts' titles
BAR_IN, PANEL_GAP_IN, LEGEND_IN = 0.42, 0.75, 0.9
# In-bar text: the reaction's name from this share up, the percentage alone from the second.
NAME_FROM, PERCENT_FROM = 18.0, 7.0

_lock = threading.Lock()


@dataclass(frozen=True)
class Bar:
    """One part's bar: its label and the published share of each reaction (None: hidden)."""

    label: str
    shares: Mapping[str, float | None]

    @property
    def shown(self) -> bool:
        """Drawn in colour only when every share may be published and there is something."""
        return (all(self.shares.get(kind) is not None for kind in KINDS)
                and sum(self.shares[kind] or 0 for kind in KINDS) > 0)


@dataclass(frozen=True)
class Panel:
    """One small multiple: a title (a language, an age band) or None, and its bars."""

    title: str | None
    bars: Sequence[Bar]


@dataclass(frozen=True)
class ChartText:
    """Every word in a chart, already in the viewer's language."""

    title: str
    kinds: Mapping[str, str]  # reaction kind -> its name
    too_few: str  # the grey bar's words
    percent: Callable[[int], str]  # 45 -> "45%" (or "45 %" in French)
    axis: str  # under the axis: "Share of the children who reacted"


def _wrap(label: str, width: int = 30) -> str:
    return "\n".join(textwrap.wrap(label, width=width, max_lines=2, placeholder="\u2026")) or label


def _face(ax: Axes, x: float, y: float, radius: float, kind: str) -> None:
    """The reaction's face as children saw it on their button (static/img/icons), in inches."""
    from matplotlib.patches import Arc, Circle, PathPatch
    from matplotlib.path import Path

    line = dict(edgecolor=INK, linewidth=1.3, facecolor="white")
    ax.add_patch(Circle((x, y), radius, **line))
    eye = radius * 0.11
    if kind != "confused":
        for dx in (-0.32, 0.32):
            ax.add_patch(Circle((x + dx * radius, y + 0.27 * radius), eye, color=INK))
    r = radius
    if kind == "agree":  # a smile
        ax.add_patch(Arc((x, y - 0.05 * r), 0.95 * r, 0.7 * r, theta1=200, theta2=340,
                         color=INK, linewidth=1.3))
    elif kind == "disagree":  # a frown
        ax.add_patch(Arc((x, y - 0.55 * r), 0.95 * r, 0.6 * r, theta1=20, theta2=160,
                         color=INK, linewidth=1.3))
    elif kind == "unsure":  # a straight mouth
        ax.plot([x - 0.35 * r, x + 0.35 * r], [y - 0.33 * r] * 2, color=INK, linewidth=1.3,
                solid_capstyle="round")
    else:  # a question mark
        path = Path([(x - 0.22 * r, y + 0.3 * r), (x - 0.2 * r, y + 0.62 * r),
                     (x + 0.3 * r, y + 0.6 * r), (x + 0.25 * r, y + 0.25 * r),
                     (x + 0.2 * r, y + 0.05 * r), (x, y), (x, y - 0.2 * r)],
                    [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.CURVE4,
                     Path.CURVE4, Path.LINETO])
        ax.add_patch(PathPatch(path, fill=False, edgecolor=INK, linewidth=1.3))
        ax.add_patch(Circle((x, y - 0.45 * r), eye, color=INK))


def _legend(ax: Axes, text: ChartText, height: float) -> None:
    """Each reaction once: a hatched swatch, its face and its name, in reading order."""
    from matplotlib.patches import Rectangle

    ax.set_xlim(0, WIDTH_IN)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    ax.text(0.15, height - 0.22, text.title, fontsize=12.5, fontweight="bold", color=INK,
            va="center", family=FONT)
    slot = (WIDTH_IN - 0.3) / len(KINDS)
    y = 0.28
    for index, kind in enumerate(KINDS):
        x = 0.15 + index * slot
        ax.add_patch(Rectangle((x, y - 0.13), 0.42, 0.26, facecolor=COLOURS[kind],
                               hatch=HATCHES[kind], edgecolor="white", linewidth=0))
        ax.add_patch(Rectangle((x, y - 0.13), 0.42, 0.26, fill=False, edgecolor=INK,
                               linewidth=0.8))
        _face(ax, x + 0.66, y, 0.14, kind)
        ax.text(x + 0.88, y, _wrap(text.kinds[kind], 16), fontsize=9.5, color=INK,
                va="center", family=FONT)


def _panel(ax: Axes, panel: Panel, text: ChartText) -> None:
    """One small multiple: a 100% stacked bar per part, top to bottom in the plan's order."""
    count = len(panel.bars)
    ax.set_xlim(0, 100)
    ax.set_ylim(count - 0.5, -0.5)
    ax.set_yticks(range(count), [_wrap(bar.label) for bar in panel.bars], fontsize=9,
                  family=FONT, color=INK)
    ax.set_xticks([0, 25, 50, 75, 100], [text.percent(v) for v in (0, 25, 50, 75, 100)],
                  fontsize=8.5, family=FONT, color=MUTED)
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(MUTED)
    if panel.title:
        ax.set_title(panel.title, loc="left", fontsize=11, fontweight="bold", family=FONT,
                     color=INK, pad=6)
    ax.set_xlabel(text.axis, fontsize=8.5, family=FONT, color=MUTED)
    label_box = dict(boxstyle="round,pad=0.18", facecolor="white", edgecolor="none",
                     alpha=0.92)
    for row, bar in enumerate(panel.bars):
        if not bar.shown:
            ax.barh(row, 100, height=0.72, color=TOO_FEW_COLOUR, edgecolor="#9CA3AF",
                    linewidth=0.8)
            ax.text(50, row, text.too_few, ha="center", va="center", fontsize=9,
                    color=INK, family=FONT, style="italic")
            continue
        left = 0.0
        for kind in KINDS:
            width = float(bar.shares[kind] or 0)
            if width <= 0:
                continue
            ax.barh(row, width, left=left, height=0.72, color=COLOURS[kind],
                    hatch=HATCHES[kind], edgecolor="white", linewidth=0.8)
            centre = left + width / 2
            if width >= NAME_FROM:
                words = f"{text.kinds[kind]}\n{text.percent(round(width))}"
            elif width >= PERCENT_FROM:
                words = text.percent(round(width))
            else:
                words = ""
            if words:
                ax.text(centre, row, words, ha="center", va="center", fontsize=8,
                        color=INK, family=FONT, bbox=label_box, linespacing=1.1)
            left += width


def render_reaction_chart(panels: Sequence[Panel], text: ChartText) -> bytes:
    """The SVG of ``panels`` (one or more small multiples), the same bytes for the same input."""
    import matplotlib

    matplotlib.use("Agg")  # never a GUI backend; the figure is saved through the SVG canvas
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    heights = [PANEL_GAP_IN + BAR_IN * max(len(panel.bars), 1) for panel in panels]
    total = LEGEND_IN + sum(heights) + 0.2
    settings = {
        "svg.hashsalt": HASH_SALT, "svg.fonttype": "path", "font.family": FONT,
        "hatch.linewidth": 0.9, "hatch.color": "white", "axes.unicode_minus": False,
    }
    with _lock, rc_context(settings):  # type: ignore[arg-type]
        figure = Figure(figsize=(WIDTH_IN, total))
        FigureCanvasSVG(figure)
        legend = figure.add_axes((0, 1 - LEGEND_IN / total, 1, LEGEND_IN / total))
        _legend(legend, text, LEGEND_IN)
        top = total - LEGEND_IN
        for panel, height in zip(panels, heights, strict=True):
            bars_height = height - PANEL_GAP_IN
            bottom = top - height + 0.45  # the axis and its label under the bars
            ax = figure.add_axes((LABEL_IN / WIDTH_IN, bottom / total,
                                  (WIDTH_IN - LABEL_IN - 0.25) / WIDTH_IN,
                                  bars_height / total))
            _panel(ax, panel, text)
            top -= height
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def leaders(panel: Panel) -> tuple[dict[str, list[str]], list[str]]:
    """For the chart's text alternative: the parts where each reaction is the largest share
    (reaction order breaks ties), and the parts with too few children to show."""
    by_kind: dict[str, list[str]] = {}
    hidden = []
    for bar in panel.bars:
        if not bar.shown:
            hidden.append(bar.label)
            continue
        top = max(KINDS, key=lambda kind: (bar.shares[kind] or 0, -KINDS.index(kind)))
        by_kind.setdefault(top, []).append(bar.label)
    return {kind: by_kind[kind] for kind in KINDS if kind in by_kind}, hidden
