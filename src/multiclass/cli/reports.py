"""The sub-commands that read a model or predictions and report: `evaluate`, `report`, `datasets`; and writing a
report, which `demo` shares.

Apart from `multiclass.cli.commands` so that they import neither the training verbs nor the search, the stacked
trainer or the label audit; `evaluate` reads the model on the numpy network, so it imports no torch either (a
streamed table's reader excepted): it starts in the time of pandas and the report.
"""

from __future__ import annotations

from rich.console import Console

import multiclass.data as data
from multiclass.cli.messages import say
from multiclass.jobs.evaluate import evaluate as evaluate_model
from multiclass.jobs.evaluate import evaluate_predictions
from multiclass.jobs.inputs import check_output_path
from multiclass.jobs.outputs import write_together
from multiclass.persistence import load_model
from multiclass.report import ReportConfig, render_datasets, render_html, render_report, report_to_json
from multiclass.report.strings import strings

__all__ = ["COMMANDS", "check_report_outputs", "write_report"]


def write_report(args, console: Console, report, title: str | None = None) -> None:
    """Print `report` and write its ``--json-out`` and ``--html`` files (both or neither)."""
    render_report(report, console, lang=args.lang, title=title, details=getattr(args, "details", False))
    s = strings(args.lang)
    files = [(args.json_out, lambda: report_to_json(report, args.lang)),
             (args.html, lambda: render_html(report, lang=args.lang, title=title).encode())]
    write_together([(path, payload()) for path, payload in files if path])  # both files or neither
    for path, key in ((args.json_out, "written_json"), (args.html, "written_html")):
        if path:
            console.print(s[key].format(path=path))


def check_report_outputs(args, inputs=()) -> None:
    """Refuse ``--json-out`` / ``--html`` paths that cannot be written (or would overwrite an input) before work."""
    for path in (args.json_out, args.html):
        if path:
            check_output_path(path, inputs=inputs)


def _model(args, path):
    """A saved model on the numpy network (`predict`'s: no torch to import); ``--critical`` names its critical
    classes, ``--cost-matrix`` replaces its decision rule."""
    trained = load_model(path, network="numpy").with_critical_classes(getattr(args, "critical", ()))
    return trained.with_cost_matrix(args.cost_matrix) if getattr(args, "cost_matrix", None) else trained


def evaluate(args, console: Console) -> int:
    check_report_outputs(args, inputs=(args.data, args.model_dir))
    options = {name: getattr(args, name) for name in ("kind", "labels", "data_dir") if hasattr(args, name)}
    report = evaluate_model(_model(args, args.model_dir), args.data, config=ReportConfig(bootstrap=args.bootstrap,
                            seed=args.seed), stream=args.stream or "auto", batch_rows=args.batch_rows,
                            subject=args.data, model_dir=args.model_dir, **options)
    write_report(args, console, report)
    return 0


def report(args, console: Console) -> int:
    check_report_outputs(args, inputs=(args.predictions,))
    config = ReportConfig(bootstrap=args.bootstrap, seed=args.seed)
    write_report(args, console, evaluate_predictions(args.predictions, config=config, critical=args.critical))
    return 0


def datasets(args, console: Console) -> int:
    if args.download:  # the only command that touches the network, and only when asked
        folder = data.download(args.download, args.data_dir)
        console.print(say("download_checked", args.lang, name=args.download, folder=folder))
    render_datasets(data.list_datasets(args.data_dir), console)
    return 0


COMMANDS = {"evaluate": evaluate, "report": report, "datasets": datasets}
