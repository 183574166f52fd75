"""The evaluation report: one `Report` value, rendered for the terminal (rich), as JSON and as an HTML page.

>>> import numpy as np
>>> from multiclass.report import ReportConfig, build_report, report_to_dict
>>> report = build_report(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 1, 1, 2, 0]), ["ant", "bee", "cat"],
...                       config=ReportConfig(bootstrap=200))
>>> round(report.headline["accuracy"].value, 4), report.headline["accuracy"].method
(0.6667, 'bootstrap')
>>> report_to_dict(report, "es")["per_class"]["bee"]["recall"]
1.0

Modules: `value` (the `Report` value and its config), `build` and `decision` (every number, from
`multiclass.metrics`), `strings` and `formatting` (English and Spanish), `render/` (terminal, JSON, HTML + charts,
the decision section of each, the `compare` view). Names are imported on first use (`multiclass.lazy`).
"""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "LANGS": "multiclass.report.formatting:LANGS",
    "Formatter": "multiclass.report.formatting:Formatter",
    "Report": "multiclass.report.value:Report",
    "ReportConfig": "multiclass.report.value:ReportConfig",
    "build_report": "multiclass.report.build:build_report",
    "build_report_from_counts": "multiclass.report.build:build_report_from_counts",
    "render_datasets": "multiclass.report.render.terminal:render_datasets",
    "render_html": "multiclass.report.render.html:render_html",
    "render_report": "multiclass.report.render.terminal:render_report",
    "report_to_dict": "multiclass.report.render.jsondoc:report_to_dict",
    "report_to_json": "multiclass.report.render.jsondoc:report_to_json",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
