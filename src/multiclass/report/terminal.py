"""Terminal rendering (rich) of an `Evaluation` and of the built-in dataset list, readable in 100 columns."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

__all__ = ["render_datasets", "render_evaluation", "render_headline"]

# Beyond this many classes a K x K matrix is unreadable in a terminal; the most confused pairs are listed instead.
_MAX_MATRIX_CLASSES = 12
_TOP_PAIRS = 10


def _summary_table(evaluation, title: str) -> Table:
    table = Table(title=title, show_header=False)
    labels = {
        "n_samples": "rows",
        "accuracy": "accuracy",
        "balanced_accuracy": "balanced accuracy",
        "macro_f1": "macro-F1",
        "weighted_f1": "weighted-F1",
        "log_loss": "log-loss",
    }
    for key, label in labels.items():
        value = evaluation.summary[key]
        table.add_row(label, f"{value:,}" if isinstance(value, int) else f"{value:.4f}")
    return table


def _per_class_table(evaluation) -> Table:
    table = Table(title="per class")
    for column in ("class", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "class" else "right")
    report = evaluation.report.to_dict()
    for name in evaluation.classes:
        row = report[name]
        table.add_row(name, f"{row['precision']:.3f}", f"{row['recall']:.3f}", f"{row['f1-score']:.3f}", f"{int(row['support'])}")
    return table


def _confusion_table(evaluation) -> Table:
    cm, classes = evaluation.confusion, evaluation.classes
    if len(classes) > _MAX_MATRIX_CLASSES:
        table = Table(title=f"most confused pairs (top {_TOP_PAIRS})")
        for column in ("true", "predicted", "count"):
            table.add_column(column)
        off = cm.copy()
        off[range(len(classes)), range(len(classes))] = 0
        for flat in off.ravel().argsort()[::-1][:_TOP_PAIRS]:
            true, pred = divmod(int(flat), len(classes))
            if off[true, pred]:
                table.add_row(classes[true], classes[pred], str(int(off[true, pred])))
        return table
    table = Table(title="confusion matrix (rows = true, columns = predicted)")
    table.add_column("")
    for name in classes:
        table.add_column(name[:8], justify="right")
    for name, row in zip(classes, cm):
        table.add_row(name[:16], *(str(int(v)) for v in row))
    return table


def render_evaluation(evaluation, console: Console, title: str = "evaluation") -> None:
    """Print the headline numbers, the per-class table and the confusion matrix."""
    console.print(_summary_table(evaluation, title))
    console.print(_per_class_table(evaluation))
    console.print(_confusion_table(evaluation))


def render_headline(evaluation, console: Console, what: str) -> None:
    """One greppable line: ``<what> accuracy 0.9640 (macro-F1 0.9640, 445 rows)``."""
    summary = evaluation.summary
    console.print(f"{what} accuracy {summary['accuracy']:.4f} "
                  f"(macro-F1 {summary['macro_f1']:.4f}, {summary['n_samples']:,} rows)")


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
