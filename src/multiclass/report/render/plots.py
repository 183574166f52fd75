"""The report's charts, each an inline SVG for the HTML page (matplotlib's SVG backend, through `svg`), and the
confidently wrong images as small PNG ``data:`` URIs.

Figures are built on `matplotlib.figure.Figure`, never through pyplot: no global state, no GUI backend. Each is at
most `svg.MAX_WIDTH_PT` wide with `svg.FONT_SIZE` text, so its words stay readable when a phone shrinks it; each
legend sits outside the axes, below them, where it cannot cover data. Axis numbers follow the report language
(decimal comma in Spanish), and class names are drawn as plain text (a ``$`` would otherwise start mathtext).
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator
from PIL import Image

from multiclass.report.formatting import Formatter
from multiclass.report.render.overview import Overview
from multiclass.report.render.svg import drawn, figure, to_svg
from multiclass.report.value import FULL_TABLE, Report

__all__ = ["class_distribution", "confusion_map", "learning_curves", "mistake_images", "reliability_diagram"]

WIDTH = 6.0  # inches: the widest figure (`svg.MAX_WIDTH_PT`)
_BLUE, _ORANGE, _GREY, _RED, _INK = "#1f5fa8", "#b35900", "#6b6b6b", "#b22222", "#1b1d21"
_NAME_CHARS = 12  # class names on an axis are cut beyond this (with an ellipsis); the data table has them whole
_SHADES = LinearSegmentedColormap.from_list("shares", ["#ffffff", "#9ecae1", "#1f5fa8", "#08306b"])


def _plain(text: str, limit: int = _NAME_CHARS) -> str:
    """A user string drawn literally (mathtext's dollar sign escaped), cut with an ellipsis."""
    text = str(text)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


def _locale_axis(axis, fmt: Formatter, digits: int) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: fmt.decimal(value, digits)))


def _integer_axis(axis, fmt: Formatter) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda value, _: fmt.integer(value)))


@drawn
def class_distribution(report: Report, s: dict, fmt: Formatter) -> str:
    """Bars of the rows per class: named bars up to `FULL_TABLE` classes, a sorted profile beyond."""
    support = report.support
    k = report.n_classes
    fig = figure(WIDTH, 3.6 if k <= 6 else 4.2)
    ax = fig.add_subplot()
    if k <= FULL_TABLE:
        ax.bar(np.arange(k), support, color=_BLUE)
        ax.set_xticks(np.arange(k), [_plain(name) for name in report.classes], rotation=90 if k > 6 else 0)
    else:
        order = np.sort(support)[::-1]
        ax.fill_between(np.arange(1, k + 1), order, step="mid", color=_BLUE)
        ax.set_xlim(1, k)
        ax.set_xlabel(s["classes_by_size"])
        _integer_axis(ax.xaxis, fmt)
    _integer_axis(ax.yaxis, fmt)
    ax.set_ylabel(s["rows"])
    return to_svg(fig, "distribution", s["class_distribution"])


@drawn
def reliability_diagram(report: Report, s: dict, fmt: Formatter) -> str:
    """Accuracy per confidence bin (bars, more opaque for bins with more rows), each bin's mean confidence (a
    tick), the diagonal, and the rows per bin below; the legend under the axes."""
    bins = report.calibration.bins
    used = bins.count > 0
    centers, width = (bins.lower + bins.upper) / 2, bins.upper - bins.lower
    weight = bins.count[used] / max(1, bins.count.max())
    fig = figure(WIDTH, 6.4)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    colours = [(0.12, 0.37, 0.66, alpha) for alpha in 0.15 + 0.85 * np.sqrt(weight)]  # _BLUE, faint to solid
    top.bar(centers[used], bins.accuracy[used], width=width[used] * 0.9, color=colours, edgecolor=_BLUE,
            linewidth=0.8)
    top.scatter(centers[used], bins.confidence[used], marker="_", s=260, color=_INK, linewidths=2, zorder=3)
    top.plot([0, 1], [0, 1], linestyle="--", color=_GREY, linewidth=1)
    top.set(xlim=(0, 1), ylim=(0, 1.02), ylabel=s["observed_accuracy"])
    bottom.bar(centers[used], bins.count[used], width=width[used] * 0.9, color=_GREY)
    bottom.set_yscale("log")
    bottom.set(xlabel=s["confidence"], ylabel=s["rows"])
    for axis in (top.yaxis, top.xaxis, bottom.xaxis):
        _locale_axis(axis, fmt, 1)
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt.integer(value) if value >= 1 else ""))
    handles = [Patch(facecolor=_BLUE, edgecolor=_BLUE, label=s["accuracy_by_rows"]),
               Line2D([], [], marker="_", markersize=16, markeredgewidth=2, linestyle="none", color=_INK,
                      label=s["mean_confidence"]),
               Line2D([], [], linestyle="--", color=_GREY, label=s["perfect_calibration"])]
    fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)
    return to_svg(fig, "reliability", s["reliability"])


@drawn
def learning_curves(report: Report, s: dict, fmt: Formatter) -> str:
    """Training and validation loss, and validation macro-F1, per epoch, one above the other; the restored best
    epoch marked on both."""
    training = report.training
    epochs = np.array([record["epoch"] for record in training.epochs])

    def series(key):
        return np.array([np.nan if record.get(key) is None else record[key] for record in training.epochs], float)

    fig = figure(WIDTH, 6.4)
    loss_ax, f1_ax = fig.subplots(2, 1, sharex=True)
    loss_ax.plot(epochs, series("train_loss"), color=_BLUE, linewidth=2)
    if np.isfinite(series("val_loss")).any():
        loss_ax.plot(epochs, series("val_loss"), color=_ORANGE, linewidth=2, linestyle="-.")
    loss_ax.set_ylabel(s["loss"])
    f1_ax.plot(epochs, series("val_macro_f1"), color=_ORANGE, linewidth=2)
    f1_ax.set(xlabel=s["epoch"], ylabel=s["macro_f1"])
    for ax in (loss_ax, f1_ax):
        ax.axvline(training.best_epoch, color=_RED, linestyle=":", linewidth=1.5)
        _integer_axis(ax.xaxis, fmt)
        _locale_axis(ax.yaxis, fmt, 2)
    handles = [Line2D([], [], color=_BLUE, linewidth=2, label=s["train_loss"]),
               Line2D([], [], color=_ORANGE, linewidth=2, linestyle="-.", label=s["val_loss"]),
               Line2D([], [], color=_ORANGE, linewidth=2, label=s["val_macro_f1"]),
               Line2D([], [], color=_RED, linestyle=":", linewidth=1.5,
                      label=f"{s['best_epoch']}: {fmt.integer(training.best_epoch)}")]
    fig.legend(handles=handles, loc="outside lower center", ncols=1, frameon=False)
    return to_svg(fig, "curves", s["learning_curves"])


@drawn
def confusion_map(report: Report, overview: Overview, s: dict, fmt: Formatter) -> str:
    """The error shares of the whole matrix as a heatmap, classes in the overview's order (names on the axes up
    to `FULL_TABLE` classes, positions in that order beyond: the data table maps them to names)."""
    shares = np.ma.masked_invalid(overview.shares)  # (B, B); the masked diagonal is drawn white
    n = shares.shape[0]
    fig = figure(WIDTH, 6.4)
    ax = fig.add_subplot()
    vmax = max(float(shares.max()) if shares.count() else 0.0, 1e-9)
    image = ax.imshow(shares, cmap=_SHADES, vmin=0, vmax=vmax, interpolation="nearest", aspect="equal")
    if report.n_classes <= FULL_TABLE:
        names = [_plain(report.classes[c], 10) for c in overview.order]
        ax.set_xticks(np.arange(n), names, rotation=90)
        ax.set_yticks(np.arange(n), names)
    else:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            axis.set_major_formatter(FuncFormatter(lambda value, _: fmt.integer(value * overview.block + 1)))
    ax.set(xlabel=s["predicted_class"], ylabel=s["true_class"])
    ax.spines[["top", "right"]].set_visible(True)
    bar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.8, pad=0.02)
    bar.set_label(s["share_elsewhere"])
    bar.ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    _locale_axis(bar.ax.xaxis, fmt, 2)
    return to_svg(fig, "overview", s["overview"])


def mistake_images(report: Report) -> list[str]:
    """The confidently wrong images as PNG ``data:`` URIs, at their own pixel size (the page scales them up)."""
    uris = []
    for pixels in report.mistakes.pixels:
        values = np.clip(np.asarray(pixels) * 255 + 0.5, 0, 255).astype(np.uint8)  # (H, W, C)
        image = Image.fromarray(values[..., 0] if values.shape[-1] == 1 else values)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        uris.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"))
    return uris
