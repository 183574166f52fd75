"""The verbs: what a user asks the library to do, each deciding itself how the work runs (in memory or streamed,
on one process or every rank of a torchrun job).

`fit` (data -> model directory), `evaluate` (model + labelled data -> report), `predict` (model + data ->
predictions file), `compare` (two models, one labelled dataset -> paired comparison), `sweep` (a grid of
configurations trained at once -> leaderboard), `audit` (labelled data -> the rows whose label is probably wrong),
one module each, named after the verb. The command line
(`multiclass.cli`) and the estimator (`multiclass.estimator`) are thin faces over these. The verbs themselves are
on the package face (``multiclass.fit(...)``) or in their module (``from multiclass.jobs.fit import fit``): here a
verb's name is its module. Helpers are imported on first use (`multiclass.lazy`).
"""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "FitResult": "multiclass.jobs.fit_result:FitResult",
    "SweepResult": "multiclass.jobs.sweep:SweepResult",
    "check_output_path": "multiclass.jobs.inputs:check_output_path",
    "evaluate_dataset": "multiclass.jobs.evaluate:evaluate_dataset",
    "evaluate_predictions": "multiclass.jobs.evaluate:evaluate_predictions",
    "fit_arrays": "multiclass.jobs.fit:fit_arrays",
    "fit_dataset": "multiclass.jobs.fit:fit_dataset",
    "fit_stream": "multiclass.jobs.streamed:fit_stream",
    "load_for_model": "multiclass.jobs.inputs:load_for_model",
    "predictions_frame": "multiclass.jobs.predict_trained:predictions_frame",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
