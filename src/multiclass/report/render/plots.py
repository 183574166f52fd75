"""The report's figures (matplotlib, Agg canvas), each returned as a PNG ``data:`` URI for the HTML page.

Figures are built on `matplotlib.figure.Figure` with an Agg canvas, never through pyplot: no global state, no GUI
backend, nothing left open. Axis numbers follow the report language (decimal comma in Spanish), and class names
are drawn as plain text (a ``$`` in a name would otherwise start matplotlib's math mode).
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from multiclass.report.formatting import Formatter
from multiclass.report.value import FULL_TABLE, Report

__all__ = ["class_distribution", "learning_curves", "mistakes_grid", "reliability_diagram"]

_DPI = 120  # ~800 px wide figures: sharp on a laptop, scaled down by CSS on a phone
_BLUE, _ORANGE, _GREY, _RED = "#1f5fa8", "#d9822b", "#8a8a8a", "#b22222"


def _plain(text: str) -> str:
    """A user string drawn literally: escape mathtext's dollar sign."""
    return str(text).replace("$", r"\$")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _data_uri(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _locale_axis(axis, fmt: Formatter, digits: int) -> None:
    axis.set_major_formatter(FuncFormatter(lambda value, _: fmt.decimal(value, digits)))


def class_distribution(report: Report, s: dict, fmt: Formatter) -> str:
    """Bars of the rows per class: named bars up to `FULL_TABLE` classes, a sorted profile beyond."""
    support = report.support
    fig = _figure(7.5, 3.2)
    ax = fig.add_subplot()
    if report.n_classes <= FULL_TABLE:
        ax.bar(np.arange(report.n_classes), support, color=_BLUE)
        ax.set_xticks(np.arange(report.n_classes), [_plain(name[:14]) for name in report.classes],
                      rotation=45 if report.n_classes > 6 else 0, ha="right" if report.n_classes > 6 else "center")
    else:
        order = np.sort(support)[::-1]
        ax.fill_between(np.arange(1, len(order) + 1), order, step="mid", color=_BLUE, alpha=0.8)
        ax.set_xlim(1, len(order))
        ax.set_xlabel(s["classes_by_size"])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt.integer(value)))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: fmt.integer(value)))
    ax.set_ylabel(s["rows"])
    ax.set_title(s["class_distribution"])
    ax.spines[["top", "right"]].set_visible(False)
    return _data_uri(fig)


def reliability_diagram(report: Report, s: dict, fmt: Formatter) -> str:
    """Accuracy against mean confidence per bin (bars), the diagonal, and the rows per bin below."""
    bins = report.calibration.bins
    used = bins.count > 0
    centers, width = (bins.lower + bins.upper) / 2, bins.upper - bins.lower
    fig = _figure(5.5, 5.5)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.bar(centers[used], bins.accuracy[used], width=width[used], color=_BLUE, edgecolor="white",
            label=s["observed_accuracy"])
    top.bar(centers[used], bins.confidence[used] - bins.accuracy[used], bottom=bins.accuracy[used],
            width=width[used], color=_RED, alpha=0.25, edgecolor=_RED, label=s["gap"])
    top.plot([0, 1], [0, 1], linestyle="--", color=_GREY, label=s["perfect_calibration"])
    top.set(xlim=(0, 1), ylim=(0, 1), ylabel=s["observed_accuracy"], title=s["reliability"])
    top.legend(loc="upper left", frameon=False)
    bottom.bar(centers[used], bins.count[used], width=width[used], color=_GREY, edgecolor="white")
    bottom.set_yscale("log")
    bottom.set(xlabel=s["confidence"], ylabel=s["rows"])
    for axis in (top.yaxis, top.xaxis, bottom.xaxis):
        _locale_axis(axis, fmt, 1)
    for ax in (top, bottom):
        ax.spines[["top", "right"]].set_visible(False)
    return _data_uri(fig)


def learning_curves(report: Report, s: dict, fmt: Formatter) -> str:
    """Training and validation loss, and validation macro-F1, per epoch; the restored best epoch marked."""
    training = report.training
    epochs = np.array([record["epoch"] for record in training.epochs])

    def series(key):
        return np.array([np.nan if record[key] is None else record[key] for record in training.epochs], float)

    fig = _figure(8, 3.4)
    loss_ax, f1_ax = fig.subplots(1, 2)
    loss_ax.plot(epochs, series("train_loss"), color=_BLUE, label=s["train_loss"])
    if np.isfinite(series("val_loss")).any():
        loss_ax.plot(epochs, series("val_loss"), color=_ORANGE, label=s["val_loss"])
    loss_ax.set(xlabel=s["epoch"], ylabel=s["loss"], title=s["loss"])
    f1_ax.plot(epochs, series("val_macro_f1"), color=_ORANGE, label=s["val_macro_f1"])
    f1_ax.set(xlabel=s["epoch"], title=s["val_macro_f1"])
    for ax in (loss_ax, f1_ax):
        ax.axvline(training.best_epoch, color=_RED, linestyle=":", label=f"{s['best_epoch']}: {training.best_epoch}")
        ax.legend(frameon=False, fontsize="small")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        _locale_axis(ax.yaxis, fmt, 2)
        ax.spines[["top", "right"]].set_visible(False)
    return _data_uri(fig)


def mistakes_grid(report: Report, s: dict, fmt: Formatter) -> str:
    """The most confidently wrong images, with their true class, prediction and its probability."""
    m = report.mistakes
    n_cols = min(4, len(m.rows))
    n_rows = -(-len(m.rows) // n_cols)
    fig = _figure(2.1 * n_cols, 2.5 * n_rows)
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, pixels, true, pred, prob in zip(axes, m.pixels, m.true, m.predicted, m.probability):
        if pixels.shape[-1] == 1:
            ax.imshow(pixels[..., 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        else:
            ax.imshow(pixels, vmin=0, vmax=1, interpolation="nearest")
        caption = s["mistake_caption"].format(true=_plain(report.classes[true][:16]),
                                              predicted=_plain(report.classes[pred][:16]),
                                              probability=fmt.decimal(prob))
        ax.set_title(caption, fontsize=8)
    return _data_uri(fig)
