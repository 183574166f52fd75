"""Terminal rendering (rich) of a `Report`, readable in 100 columns, plus the CLI's small views.

User strings (class names, paths) go into tables as `rich.text.Text`, never as markup, so a class named
``[bold]`` prints as it is.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass._version import __version__
from multiclass.report.render.decision import decision_tables
from multiclass.report.formatting import Formatter
from multiclass.report.value import FULL_TABLE, HEADLINE, MATRIX_CLASSES, Report
from multiclass.report.strings import method_lines, notice_text, report_title, strings

__all__ = ["render_datasets", "render_report"]

_NAME_WIDTH = 24  # class names are cut (with an ellipsis) beyond this many characters in tables
_CURVE_ROWS = 12  # epochs listed in the learning-curve table (the best epoch always among them)
_WEAK_STYLE = "bold red"


def _title(text: str) -> str:
    """Terminal table titles start in lower case, as rich's own examples do ("per-class metrics")."""
    return text[:1].lower() + text[1:]


def _name(report: Report, c: int, *, highlight: bool = False) -> Text:
    return Text(report.classes[c], style=_WEAK_STYLE if highlight else "")


def _estimate_cells(fmt: Formatter, estimate, with_interval: bool) -> list[str]:
    cells = [fmt.decimal(None if estimate is None else estimate.value)]
    if with_interval:
        cells.append(fmt.interval(None if estimate is None else estimate.low,
                                  None if estimate is None else estimate.high))
    return cells


def _score_cell(fmt: Formatter, estimate, intervals: bool) -> str:
    if not intervals or estimate.method is None:
        return fmt.decimal(estimate.value)
    return f"{fmt.decimal(estimate.value)} ({fmt.interval(estimate.low, estimate.high)})"


def _dataset_table(report: Report, s, fmt) -> Table:
    table = Table(title=_title(s["dataset"]), show_header=False, title_justify="left")
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    support = report.support
    smallest = min(report.ranking, key=lambda c: support[c]) if report.ranking else report.majority
    table.add_row(s["rows"], fmt.integer(report.n_samples))
    table.add_row(s["n_classes"], fmt.integer(report.n_classes))
    major = report.majority
    share = fmt.percent(support[major] / report.n_samples)
    table.add_row(s["majority_class"], Text(f"{report.classes[major]} ({fmt.integer(support[major])}, {share})"))
    table.add_row(s["smallest_class"], Text(f"{report.classes[smallest]} ({fmt.integer(support[smallest])})"))
    table.add_row(s["imbalance_ratio"], fmt.decimal(report.imbalance_ratio, 1))
    return table


def _headline_table(report: Report, s, fmt, intervals: bool) -> Table:
    table = Table(title=_title(s["headline"]), title_justify="left")
    table.add_column(s["metric"])
    table.add_column(s["value"], justify="right")
    if intervals:
        table.add_column(s["interval"].format(confidence=fmt.percent(report.config.confidence, 0)), justify="right")
    table.add_column(s["baseline_majority"], justify="right")
    table.add_column(s["baseline_prior"], justify="right")
    for name in HEADLINE:
        estimate = report.headline[name]
        if estimate is None:
            continue
        table.add_row(s[name], *_estimate_cells(fmt, estimate, intervals),
                      fmt.decimal(report.baselines["majority"][name]), fmt.decimal(report.baselines["prior"][name]))
    return table


def _per_class_table(report: Report, s, fmt, intervals: bool) -> Table:
    """Class | precision | recall | F1 | support; with intervals each score cell reads ``0.953 (0.948–0.958)``
    (one cell, not two columns: the table then fits 100 columns in both languages)."""
    rows, hidden = report.class_rows()
    weakest = set(report.weakest)
    table = Table(title=_title(s["per_class"]), title_justify="left")
    table.add_column(s["class"], max_width=16 if intervals else _NAME_WIDTH, overflow="ellipsis", no_wrap=True)
    ci = s["interval"].format(confidence=fmt.percent(report.config.confidence, 0))
    for metric in ("precision", "recall", "f1"):
        table.add_column(f"{s[metric]}\n({ci})" if intervals else s[metric], justify="right", no_wrap=True)
    table.add_column(s["support"], justify="right", no_wrap=True)
    for c in rows:
        if c is None:
            table.add_row(Text(s["hidden_short"].format(n=fmt.integer(hidden)), style="dim"), end_section=True)
            continue
        row = report.per_class[c]
        cells = [_score_cell(fmt, metric, intervals) for metric in (row.precision, row.recall, row.f1)]
        table.add_row(_name(report, c, highlight=c in weakest), *cells, fmt.integer(row.support))
    n_weak = len(report.weakest) if report.n_classes <= FULL_TABLE else 0
    if hidden:
        table.caption = s["sorted_note"].format(shown=fmt.integer(report.n_classes - hidden),
                                                total=fmt.integer(report.n_classes))
    elif n_weak:
        table.caption = s["weakest_note"].format(n=n_weak)
    return table


def _matrix_table(report: Report, title: str, values, cell) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("", max_width=16, overflow="ellipsis", no_wrap=True)
    for name in report.classes:
        table.add_column(Text(name[:7]), justify="right", no_wrap=True)
    for c, row in enumerate(values):
        table.add_row(_name(report, c), *(cell(v) for v in row))
    return table


def _confusion_tables(report: Report, s, fmt) -> list[Table]:
    if report.n_classes <= MATRIX_CLASSES:
        cm = report.confusion
        rows = cm / cm.sum(axis=1, keepdims=True).clip(min=1)
        return [_matrix_table(report, f"{_title(s['confusion'])}: {_title(s['confusion_counts'])}", cm, fmt.integer),
                _matrix_table(report, f"{_title(s['confusion'])}: {_title(s['confusion_normalized'])}", rows,
                              lambda v: fmt.decimal(v, 2))]
    pairs = _title(s["most_confused"].format(n=report.config.top_n))
    table = Table(title=f"{_title(s['confusion'])}: {pairs}", title_justify="left")
    for column in ("true_class", "predicted_class"):
        table.add_column(s[column], max_width=_NAME_WIDTH + 8, overflow="ellipsis", no_wrap=True)
    table.add_column(s["count"], justify="right")
    table.add_column(s["rate"], justify="right")
    for pair in report.most_confused:
        table.add_row(_name(report, pair.true), _name(report, pair.predicted), fmt.integer(pair.count),
                      fmt.decimal(pair.rate))
    if not report.most_confused:
        table.caption = s["no_confusions"]
    return [table]


def _calibration_tables(report: Report, s, fmt) -> list[Table]:
    cal = report.calibration
    summary = Table(title=_title(s["calibration"]), show_header=False, title_justify="left")
    summary.add_column()
    summary.add_column(justify="right")
    summary.add_row(s["ece_top_label"], fmt.decimal(cal.ece_top_label, 4))
    summary.add_row(s["ece_classwise"], fmt.decimal(cal.ece_classwise, 4))
    summary.add_row(s["brier"], fmt.decimal(cal.brier, 4))
    bins = Table(title=_title(s["reliability"]), title_justify="left")
    for column in ("bin", "rows", "confidence", "observed_accuracy", "gap"):
        bins.add_column(s[column], justify="right")
    b = cal.bins
    for i in range(len(b.count)):
        if b.count[i]:
            bins.add_row(fmt.interval(b.lower[i], b.upper[i], 2), fmt.integer(b.count[i]), fmt.decimal(b.confidence[i]),
                         fmt.decimal(b.accuracy[i]), fmt.decimal(b.accuracy[i] - b.confidence[i]))
    return [summary, bins]


def _training_table(report: Report, s, fmt) -> Table:
    training = report.training
    epochs = training.epochs
    step = max(1, -(-len(epochs) // _CURVE_ROWS))
    shown = sorted({*range(0, len(epochs), step), len(epochs) - 1, training.best_epoch - 1} & set(range(len(epochs))))
    stop = s.get(f"stop_{training.stop_reason}", training.stop_reason)
    table = Table(title=_title(s["learning_curves"]), title_justify="left",
                  caption=f"{s['best_epoch']}: {training.best_epoch} · {s['epochs_run']}: {len(epochs)} · "
                          f"{s['stop_reason']}: {stop}")
    for column in ("epoch", "train_loss", "val_loss", "val_macro_f1"):
        table.add_column(s[column], justify="right")
    for i in shown:
        record = epochs[i]
        best = record["epoch"] == training.best_epoch
        table.add_row(Text(f"{record['epoch']}{' ★' if best else ''}", style="bold" if best else ""),
                      fmt.decimal(record["train_loss"], 4), fmt.decimal(record["val_loss"], 4),
                      fmt.decimal(record["val_macro_f1"]))
    return table


def _mistakes_table(report: Report, s, fmt) -> Table:
    m = report.mistakes
    table = Table(title=_title(s["mistakes"]), title_justify="left")
    for column in ("row", "true_class", "predicted_class", "probability"):
        table.add_column(s[column], justify="right" if column in ("row", "probability") else "left")
    for row, true, pred, prob in zip(m.rows, m.true, m.predicted, m.probability):
        table.add_row(fmt.integer(row), _name(report, true), _name(report, pred), fmt.decimal(prob))
    return table


def render_report(report: Report, console: Console, *, lang: str = "en", title: str | None = None,
                  compact: bool = False) -> None:
    """Print the report: warnings, dataset, headline, per-class, confusion, calibration, training, mistakes.

    `compact` prints only the headline, per-class and confusion tables (the validation view of `train`).
    """
    s, fmt = strings(lang), Formatter(lang)
    intervals = report.config.bootstrap > 0
    console.print(Text(title or report_title(report, lang), style="bold"))  # printed whole, never cut (paths)
    if not compact:
        for notice in report.notices:
            mark = "!" if notice.level == "warning" else "·"
            console.print(Text(f"{mark} {notice_text(notice, lang)}", style="yellow" if mark == "!" else ""))
        console.print(_dataset_table(report, s, fmt))
    console.print(_headline_table(report, s, fmt, intervals))
    console.print(_per_class_table(report, s, fmt, intervals))
    for table in _confusion_tables(report, s, fmt):
        console.print(table)
    if report.decision is not None:
        for table in decision_tables(report, s, fmt):
            console.print(table)
    if compact:
        for notice in report.decision.notices if report.decision is not None else ():
            console.print(Text(f"{'!' if notice.level == 'warning' else '·'} {notice_text(notice, lang)}"))
        return
    if report.calibration is not None:
        for table in _calibration_tables(report, s, fmt):
            console.print(table)
    if report.training is not None:
        console.print(_training_table(report, s, fmt))
    if report.mistakes is not None:
        console.print(_mistakes_table(report, s, fmt))
    console.print(Text(f"{s['method']}: " + " ".join(method_lines(report, lang)), style="dim"))
    console.print(Text(s["generated_by"].format(version=__version__), style="dim"))


def render_datasets(infos, console: Console) -> None:
    """Print the built-in datasets, one row each, and how to get the ones that are not on disk."""
    table = Table(title="built-in datasets")
    for column in ("name", "rows", "features", "classes", "available", "description"):
        table.add_column(column)
    for info in infos:
        table.add_row(info.name, f"{info.n_samples:,}", str(info.n_features), str(info.n_classes),
                      "yes" if info.available else "no", info.description)
    console.print(table)
    missing = [info.name for info in infos if not info.available]
    if missing:
        console.print(f"not on disk: {', '.join(missing)}; pass --data-dir DIR (or set MULTICLASS_DATA_DIR) "
                      "to a folder holding their IDX files, or fetch them with "
                      "`multiclass datasets --download NAME --data-dir DIR`.")
