"""Label audit: find the rows whose given label is probably wrong (confident learning, Northcutt et al. 2021).

`audit` trains K out-of-fold models and estimates the joint of given and true labels from their probabilities
(`joint`), flags rows by cleanlab's rules (`rules`), ranks them, and returns an `AuditResult`; `write_audit`
writes ``suspects.csv``, the JSON and the HTML report, and `drop_suspects` removes the listed rows from training
data. `audit_probabilities` and `audit_batches` audit probabilities the caller already has, in memory or streamed.
"""

from multiclass.audit.api import audit, audit_batches, audit_probabilities
from multiclass.audit.config import AuditConfig
from multiclass.audit.folds import FoldRecipe, out_of_fold_probabilities
from multiclass.audit.outputs import drop_suspects, suspects_to_drop, write_audit
from multiclass.audit.render import audit_to_dict, audit_to_json, render_html, render_terminal
from multiclass.audit.result import AuditResult
from multiclass.audit.rules import FILTERS, RANKINGS

__all__ = [
    "FILTERS",
    "RANKINGS",
    "AuditConfig",
    "AuditResult",
    "FoldRecipe",
    "audit",
    "audit_batches",
    "audit_probabilities",
    "audit_to_dict",
    "audit_to_json",
    "drop_suspects",
    "out_of_fold_probabilities",
    "render_html",
    "render_terminal",
    "suspects_to_drop",
    "write_audit",
]
