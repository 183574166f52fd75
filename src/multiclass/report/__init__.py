"""The evaluation report: one `Report` value, rendered for the terminal (rich), as JSON and as an HTML page.

>>> import numpy as np
>>> report = build_report(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0]), ["ant", "bee", "cat"],
...                       config=ReportConfig(bootstrap=200))
>>> round(report.headline["accuracy"].value, 4), report.headline["accuracy"].method
(0.6667, 'bootstrap')
>>> report_to_dict(report, "es")["per_class"]["bee"]["recall"]
1.0

Modules: `model` (the value and its config), `build` (every number, from `multiclass.metrics`), `strings` and
`formatting` (English and Spanish), `terminal`, `jsondoc`, `html` + `plots` + `templates/` (the renderings),
`predictions` (reading another classifier's predictions).
"""

from multiclass.report.build import build_report
from multiclass.report.formatting import LANGS, Formatter
from multiclass.report.html import render_html
from multiclass.report.jsondoc import report_to_dict, report_to_json
from multiclass.report.model import Report, ReportConfig
from multiclass.report.terminal import render_datasets, render_evaluation, render_headline, render_report

__all__ = [
    "LANGS",
    "Formatter",
    "Report",
    "ReportConfig",
    "build_report",
    "render_datasets",
    "render_evaluation",
    "render_headline",
    "render_html",
    "render_report",
    "report_to_dict",
    "report_to_json",
]
