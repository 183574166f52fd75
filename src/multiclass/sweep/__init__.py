"""Many models at once, the stacked trainer: M configurations of one network shape train as one stack of weights
(`stacked`: the batched forward/backward and Adam; `loop`: their epochs, each model with its own data order,
hyperparameters and early stopping), a grid of configurations (`grid`) and their ranking (`leaderboard`). The
verb that runs a sweep on data is `multiclass.jobs.sweep`. Names are imported on first use (`multiclass.lazy`).
"""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "GRID_KEYS": "multiclass.sweep.grid:GRID_KEYS",
    "LeaderboardRow": "multiclass.sweep.leaderboard:LeaderboardRow",
    "Trial": "multiclass.sweep.grid:Trial",
    "TrialResult": "multiclass.sweep.grid:TrialResult",
    "expand_grid": "multiclass.sweep.grid:expand_grid",
    "leaderboard": "multiclass.sweep.leaderboard:leaderboard",
    "leaderboard_to_dict": "multiclass.sweep.leaderboard:leaderboard_to_dict",
    "parse_grid": "multiclass.sweep.grid:parse_grid",
    "render_leaderboard": "multiclass.sweep.leaderboard:render_leaderboard",
    "train_stacked": "multiclass.sweep.loop:train_stacked",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
