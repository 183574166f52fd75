"""A matplotlib figure as inline SVG for the HTML page: vector, scalable, its text real text.

matplotlib's SVG backend writes the figure; text stays ``<text>`` (``svg.fonttype: none``), so it is selectable,
read by screen readers and measurable in a browser test, instead of glyph outlines. The document is then made fit
to sit inside HTML: no XML prolog, DOCTYPE or RDF metadata (whose namespace URLs would read as links), no fixed
size (the page's CSS scales it to its box, up to `MAX_SCALE` times its natural width), and every ``id`` (clip
paths, markers) prefixed by the figure's name, so that several figures on one page never share one.
"""

from __future__ import annotations

import functools
import html
import io
import re

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

__all__ = ["FONT_SIZE", "MAX_WIDTH_PT", "drawn", "figure", "to_svg"]

# Sizes in points, which are the SVG's user units (matplotlib writes 72 units per inch). The page shrinks a figure
# to its column: 366 CSS px on a 390 px phone. A figure at most `MAX_WIDTH_PT` wide is then drawn at >= 366/432
# = 0.85 of its size, so text of `FONT_SIZE` reads >= 10.2 CSS px, the floor the browser tests hold it to.
MAX_WIDTH_PT = 432
FONT_SIZE = 12
MAX_SCALE = 1.35  # on a wide screen a figure grows to at most this many times its natural width

_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "multiclass",  # ids from content, not from a random salt: the same report, the same bytes
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE,
    "figure.titlesize": FONT_SIZE + 1,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def drawn(draw):
    """Run the chart function `draw` in the page's matplotlib style (fonts, SVG text): artists read their style
    when they are created, so the whole drawing happens inside it, and nothing outside is changed."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return styled


def figure(width_in: float, height_in: float) -> Figure:
    """A figure with an SVG canvas, at most `MAX_WIDTH_PT` wide (never through pyplot: no global state)."""
    fig = Figure(figsize=(min(width_in, MAX_WIDTH_PT / 72), height_in), layout="constrained")
    FigureCanvasSVG(fig)
    return fig


def _prefix_ids(svg: str, prefix: str) -> str:
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m[1]}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m[1]}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m[1]})", svg)


def to_svg(fig: Figure, name: str, label: str) -> str:
    """The figure as an ``<svg>`` element for inline HTML; `name` prefixes its ids, `label` is its accessible name."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg)[1])
    view_box = re.search(r'<svg[^>]*\bviewBox="([^"]+)"', svg)[1]
    opening = (f'<svg class="chart" viewBox="{view_box}" role="img" '
               f'aria-label="{html.escape(label)}" style="max-width: {MAX_SCALE * width:.0f}px" '
               f'preserveAspectRatio="xMidYMid meet">')
    svg = re.sub(r"<svg\b[^>]*>", lambda _: opening, svg, count=1)
    svg = svg.replace("xlink:href=", "href=")  # SVG 2: no xlink namespace needed inline
    return _prefix_ids(svg, f"{name}-").strip()
