"""Terminal rendering (rich) of a `Report`, at the console's width, plus the CLI's small views.

Every line fits the console's width: sentences are wrapped, and tables are laid out for it -- below 100 columns
an estimate's interval goes under its value, and a name wider than its column is cut with an ellipsis
("critic…"), never silently. The compact view (the default of ``multiclass evaluate`` and ``train``) is the
headline, the per-class table, the confusion matrix (or the most confused pairs) and a line each for calibration
and training; `details` adds the dataset, every matrix, the reliability bins, the learning curve, the
confidently wrong rows and the method.

User strings (class names, paths) go into tables as `rich.text.Text`, never as markup, so a class named
``[bold]`` prints as it is.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from multiclass._version import __version__
from multiclass.report.formatting import Formatter
from multiclass.report.render.cells import estimate_text, interval_text
from multiclass.report.render.decision import decision_tables
from multiclass.report.strings import method_lines, notice_text, plural, report_title, strings, verdict_text
from multiclass.report.value import FULL_TABLE, HEADLINE, MATRIX_CLASSES, Report

__all__ = ["abbreviate", "render_datasets", "render_report"]

WIDE = 100  # columns from which an interval fits on its value's line
_NAME_WIDTH = 24  # class names are cut (with an ellipsis) beyond this many characters in tables
_CURVE_ROWS = 12  # epochs listed in the learning-curve table (the best epoch always among them)
_COMPACT_PAIRS = 10  # most confused pairs in the compact view
_WEAK_STYLE = "bold red"


def abbreviate(text: str, width: int) -> str:
    """`text` cut to `width` characters, the last one an ellipsis when anything was cut ("critical" -> "critic…")."""
    width = max(1, width)
    return text if len(text) <= width else text[: width - 1] + "…"


def _title(text: str) -> str:
    """Terminal table titles start in lower case, as rich's own examples do ("per-class metrics")."""
    return text[:1].lower() + text[1:]


def _table(title: str, **options) -> Table:
    return Table(title=_title(title), title_justify="left", caption_justify="left", **options)


def _name(report: Report, c: int, width: int = _NAME_WIDTH, *, highlight: bool = False) -> Text:
    return Text(abbreviate(report.classes[c], width), style=_WEAK_STYLE if highlight else "")


def _say(console: Console, text: str, style: str = "") -> None:
    """A sentence, wrapped at the console's width (never one long line)."""
    console.print(Text(text, style=style), soft_wrap=False, overflow="fold")


def _show(console: Console, table: Table) -> None:
    """A table, its title and caption wrapped at the console's width even where the console soft-wraps (the CLI's
    does, so that a line holding a path is never broken)."""
    console.print(table, soft_wrap=False)


def _dataset_table(report: Report, s, fmt) -> Table:
    table = _table(s["dataset"], show_header=False)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    support = report.support
    smallest = min(report.ranking, key=lambda c: support[c]) if report.ranking else report.majority
    major = report.majority
    share = fmt.percent(support[major] / report.n_samples)
    table.add_row(s["rows"], fmt.integer(report.n_samples))
    table.add_row(s["n_classes"], fmt.integer(report.n_classes))
    table.add_row(s["majority_class"], Text(f"{report.classes[major]} ({fmt.integer(support[major])}, {share})"))
    table.add_row(s["smallest_class"], Text(f"{report.classes[smallest]} ({fmt.integer(support[smallest])})"))
    table.add_row(s["imbalance_ratio"], fmt.value(report.imbalance_ratio, "quantity"))
    return table


def _kind(name: str) -> str:
    return "quantity" if name == "log_loss" else "score"


def _headline_table(report: Report, s, fmt, intervals: bool, width: int) -> Table:
    table = _table(s["headline"])
    table.add_column(s["metric"], overflow="fold", no_wrap=width >= WIDE)  # narrower: the names wrap
    table.add_column(s["value"], justify="right", no_wrap=True)
    if intervals:
        confidence = fmt.percent(report.config.confidence, 0)
        table.add_column(s["interval"].format(confidence=confidence), justify="right", no_wrap=True)
        table.caption = s["interval_note"].format(confidence=confidence)
    table.add_column(s["baseline_majority"], justify="right")
    table.add_column(s["baseline_prior"], justify="right")
    for name in HEADLINE:
        estimate = report.headline[name]
        if estimate is None:
            continue
        cells = [fmt.value(estimate.value, _kind(name))]
        if intervals:
            cells.append(interval_text(fmt, s, estimate, _kind(name)))
        table.add_row(s[name], *cells, fmt.value(report.baselines["majority"][name], _kind(name)),
                      fmt.value(report.baselines["prior"][name], _kind(name)))
    return table


def _score_cell(fmt, s, estimate, intervals: bool, wide: bool) -> Text:
    """``0.953 (0.948–0.958)`` on one line when the console is wide, the interval under the value otherwise."""
    if not intervals or estimate.method is None:
        return Text(fmt.value(estimate.value))
    if wide:
        return Text(estimate_text(fmt, s, estimate))
    return Text.assemble(fmt.value(estimate.value), "\n", (interval_text(fmt, s, estimate), "dim"))


def _per_class_table(report: Report, s, fmt, intervals: bool, width: int) -> Table:
    """Class | precision | recall | F1 | support, each score with its interval."""
    rows, hidden = report.class_rows()
    weakest = set(report.weakest)
    wide = width >= WIDE
    name_width = min(_NAME_WIDTH, max(8, width // 5)) if not (intervals and wide) else 16
    table = _table(s["per_class"])
    table.add_column(s["class"], no_wrap=True)
    ci = s["interval_short" if not wide else "interval"].format(confidence=fmt.percent(report.config.confidence, 0))
    for metric in ("precision", "recall", "f1"):
        table.add_column(f"{s[metric]}\n({ci})" if intervals else s[metric], justify="right", no_wrap=True)
    table.add_column(s["support"], justify="right", no_wrap=True)
    for c in rows:
        if c is None:
            table.add_row(Text(s["hidden_short"].format(n=fmt.integer(hidden)), style="dim"), end_section=True)
            continue
        row = report.per_class[c]
        cells = [_score_cell(fmt, s, metric, intervals, wide) for metric in (row.precision, row.recall, row.f1)]
        table.add_row(_name(report, c, name_width, highlight=c in weakest), *cells, fmt.integer(row.support))
    n_weak = len(report.weakest) if report.n_classes <= FULL_TABLE else 0
    if hidden:
        table.caption = s["sorted_note"].format(shown=fmt.integer(report.n_classes - hidden),
                                                total=fmt.integer(report.n_classes))
    elif n_weak:
        table.caption = plural(s, "weakest_note", n_weak).format(n=n_weak)
    return table


def _matrix_table(report: Report, title: str, values, cell, width: int) -> Table:
    """A K x K table whose column headers are cut with an ellipsis to share the console's width."""
    k = report.n_classes
    texts = [[cell(v) for v in row] for row in values]
    name_width = min(16, max(len(name) for name in report.classes), max(6, width // 6))
    room = (width - name_width - 4) // k - 1  # each column: its text and one space before it; 2 edges, 2 spare
    table = _table(title, box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False)
    table.add_column("", no_wrap=True)
    for j, name in enumerate(report.classes):
        digits = max(len(texts[i][j]) for i in range(k))
        table.add_column(Text(abbreviate(name, max(digits, min(len(name), room)))), justify="right", no_wrap=True)
    for c, row in enumerate(texts):
        table.add_row(_name(report, c, name_width), *row)
    return table


def _pairs_table(report: Report, s, fmt, n: int, width: int) -> Table:
    pairs = _title(s["most_confused"].format(n=n))
    table = _table(f"{_title(s['confusion'])}: {pairs}")
    name_width = min(_NAME_WIDTH + 8, max(8, (width - 30) // 2))
    for column in ("true_class", "predicted_class"):
        table.add_column(s[column], no_wrap=True)
    table.add_column(s["count"], justify="right", no_wrap=True)
    table.add_column(s["rate"], justify="right")
    for pair in report.most_confused[:n]:
        table.add_row(_name(report, pair.true, name_width), _name(report, pair.predicted, name_width),
                      fmt.integer(pair.count), fmt.value(pair.rate))
    if not report.most_confused:
        table.caption = s["no_confusions"]
    return table


def _confusion_tables(report: Report, s, fmt, width: int, details: bool) -> list[Table]:
    if report.n_classes <= MATRIX_CLASSES:
        cm = report.confusion
        title = _title(s["confusion"])
        tables = [_matrix_table(report, f"{title}: {_title(s['confusion_counts'])}", cm, fmt.integer, width)]
        if details:
            rows = cm / cm.sum(axis=1, keepdims=True).clip(min=1)
            tables.append(_matrix_table(report, f"{title}: {_title(s['confusion_normalized'])}", rows,
                                        lambda v: fmt.decimal(v, 2), width))
        return tables
    return [_pairs_table(report, s, fmt, report.config.top_n if details else _COMPACT_PAIRS, width)]


def _calibration_tables(report: Report, s, fmt) -> list[Table]:
    cal = report.calibration
    summary = _table(s["calibration"], show_header=False)
    summary.add_column(overflow="fold")
    summary.add_column(justify="right", no_wrap=True)
    for key in ("ece_top_label", "ece_classwise", "brier"):
        summary.add_row(s[key], fmt.value(getattr(cal, key), "quantity"))
    bins = _table(s["reliability"])
    for column in ("bin", "rows", "confidence", "observed_accuracy", "gap"):
        bins.add_column(s[column], justify="right")
    b = cal.bins
    for i in range(len(b.count)):
        if b.count[i]:
            bins.add_row(fmt.interval(b.lower[i], b.upper[i], 2), fmt.integer(b.count[i]), fmt.value(b.confidence[i]),
                         fmt.value(b.accuracy[i]), fmt.value(b.accuracy[i] - b.confidence[i], sign=True))
    return [summary, bins]


def _training_summary(report: Report, s, fmt) -> str:
    training = report.training
    stop = s.get(f"stop_{training.stop_reason}", training.stop_reason)
    epoch = s["last_epoch"] if training.stop_reason == "fold_fixed" else s["best_epoch"]
    return (f"{epoch}: {fmt.integer(training.best_epoch)} · {s['epochs_run']}: "
            f"{fmt.integer(len(training.epochs))} · {s['stop_reason']}: {stop}")


def _training_table(report: Report, s, fmt) -> Table:
    training = report.training
    epochs = training.epochs
    step = max(1, -(-len(epochs) // _CURVE_ROWS))
    shown = sorted({*range(0, len(epochs), step), len(epochs) - 1, training.best_epoch - 1} & set(range(len(epochs))))
    table = _table(s["learning_curves"], caption=_training_summary(report, s, fmt))
    for column in ("epoch", "train_loss", "val_loss", "val_macro_f1"):
        table.add_column(s[column], justify="right")
    for i in shown:
        record = epochs[i]
        best = record["epoch"] == training.best_epoch
        table.add_row(Text(f"{record['epoch']}{' ★' if best else ''}", style="bold" if best else ""),
                      fmt.value(record["train_loss"], "quantity"), fmt.value(record["val_loss"], "quantity"),
                      fmt.value(record["val_macro_f1"]))
    return table


def _mistakes_table(report: Report, s, fmt) -> Table:
    m = report.mistakes
    table = _table(s["mistakes"])
    for column in ("row", "true_class", "predicted_class", "probability"):
        table.add_column(s[column], justify="right" if column in ("row", "probability") else "left")
    for row, true, pred, prob in zip(m.rows, m.true, m.predicted, m.probability):
        table.add_row(fmt.integer(row), _name(report, true), _name(report, pred), fmt.value(prob))
    return table


def _notices(console: Console, notices, lang: str) -> None:
    for notice in notices:
        warning = notice.level == "warning"
        _say(console, f"{'!' if warning else '·'} {notice_text(notice, lang)}", "yellow" if warning else "")


def render_report(report: Report, console: Console, *, lang: str = "en", title: str | None = None,
                  details: bool = True) -> None:
    """Print the report at the console's width.

    The title, the verdict (when the report has one), the warnings, then the headline, per-class and confusion
    tables, the decision section, and calibration and training in a line each. `details` adds the dataset, the
    row-normalised matrix (every pair up to `ReportConfig.top_n`), the reliability bins, the learning curve, the
    confidently wrong rows and the method; without it a last line says how to get them.
    """
    s, fmt = strings(lang), Formatter(lang)
    intervals = report.config.bootstrap > 0
    width = console.width
    # the title as the console prints lines: the CLI's keeps a path in it whole (soft wrap), so it can be copied
    console.print(Text(title or report_title(report, lang), style="bold"))
    verdict = verdict_text(report, lang)
    if verdict:
        _say(console, verdict, "bold")
    _notices(console, report.notices, lang)
    if details:
        _show(console, _dataset_table(report, s, fmt))
    _show(console, _headline_table(report, s, fmt, intervals, width))
    _show(console, _per_class_table(report, s, fmt, intervals, width))
    for table in _confusion_tables(report, s, fmt, width, details):
        _show(console, table)
    if report.decision is not None:
        for table in decision_tables(report, s, fmt, width):
            _show(console, table)
        _notices(console, report.decision.notices, lang)
    if not details:
        if report.calibration is not None:
            cal = report.calibration
            _say(console, f"{_title(s['calibration'])}: {s['ece_top_label']} "
                          f"{fmt.value(cal.ece_top_label, 'quantity')} · {s['brier']} {fmt.value(cal.brier, 'quantity')}")
        if report.training is not None:
            _say(console, f"{_title(s['training'])}: {_training_summary(report, s, fmt)}")
        _say(console, s["details_hint"], "dim")
        return
    if report.calibration is not None:
        for table in _calibration_tables(report, s, fmt):
            _show(console, table)
    if report.training is not None:
        _show(console, _training_table(report, s, fmt))
    if report.mistakes is not None:
        _show(console, _mistakes_table(report, s, fmt))
    _say(console, f"{s['method']}: " + " ".join(method_lines(report, lang)), "dim")
    _say(console, s["generated_by"].format(version=__version__), "dim")


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
        _say(console, f"not on disk: {', '.join(missing)}; pass --data-dir DIR (or set MULTICLASS_DATA_DIR) "
                      "to a folder holding their IDX files, or fetch them with "
                      "`multiclass datasets --download NAME --data-dir DIR`.")
