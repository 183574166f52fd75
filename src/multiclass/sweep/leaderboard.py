"""The leaderboard of a sweep: every configuration ranked by validation macro-F1 at its best epoch.

Ties (and NaN scores, which rank last) are broken by the lower validation loss, then by grid order.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from multiclass.sweep.grid import TrialResult

__all__ = ["LeaderboardRow", "leaderboard", "leaderboard_to_dict", "render_leaderboard"]


@dataclass(frozen=True)
class LeaderboardRow:
    """One configuration's line: its grid values and its scores at its best epoch.

    Attributes
    ----------
    rank : int
        1 = highest validation macro-F1.
    index : int
        Position of the configuration in the grid (``SweepResult.results[index]``).
    params : dict
        The grid values of the configuration.
    best_epoch, n_epochs : int
        The epoch whose weights are kept, and how many epochs ran.
    val_loss, val_accuracy, val_macro_f1 : float
        Validation scores at `best_epoch`.
    stop_reason : str
    """

    rank: int
    index: int
    params: dict[str, Any]
    best_epoch: int
    val_loss: float
    val_accuracy: float
    val_macro_f1: float
    n_epochs: int
    stop_reason: str


def _sort_key(item: tuple[int, TrialResult]):
    index, result = item
    record = result.best_record
    f1, loss = record.get("val_macro_f1", math.nan), record.get("val_loss", math.nan)
    return (math.isnan(f1), -f1 if not math.isnan(f1) else 0.0, math.isnan(loss), loss if not math.isnan(loss) else 0.0,
            index)


def leaderboard(results: list[TrialResult]) -> list[LeaderboardRow]:
    """Rank `results` (in grid order) by validation macro-F1, best first."""
    rows = []
    for rank, (index, result) in enumerate(sorted(enumerate(results), key=_sort_key), start=1):
        record = result.best_record
        rows.append(LeaderboardRow(
            rank=rank, index=index, params=dict(result.trial.params), best_epoch=result.best_epoch,
            val_loss=record.get("val_loss", math.nan), val_accuracy=record.get("val_accuracy", math.nan),
            val_macro_f1=record.get("val_macro_f1", math.nan), n_epochs=result.n_epochs,
            stop_reason=result.stop_reason,
        ))
    return rows


def _plain(value):
    """JSON-able: tuples (hidden widths) to lists, non-finite floats to None."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def leaderboard_to_dict(rows: list[LeaderboardRow]) -> list[dict]:
    """The rows as JSON-able dicts (NaN becomes None)."""
    plain = []
    for row in rows:
        item = asdict(row)
        item["params"] = {key: _plain(value) for key, value in row.params.items()}
        plain.append({key: _plain(value) for key, value in item.items()})
    return plain


def _show(value) -> str:
    if isinstance(value, tuple):
        return "x".join(map(str, value)) or "none"
    return f"{value:g}" if isinstance(value, float) else "none" if value is None else str(value)


def render_leaderboard(rows: list[LeaderboardRow], console: Console, *, top: int | None = None) -> None:
    """Print the first `top` rows (all when None) as a table: one column per grid key, then the scores."""
    shown = rows if top is None else rows[:top]
    keys = list(rows[0].params) if rows else []
    title = f"leaderboard: {len(shown)} of {len(rows)} configurations by validation macro-F1"
    table = Table(title=title)
    table.add_column("#", justify="right")
    for key in keys:
        table.add_column(key, justify="right")
    for column in ("val macro-F1", "val acc", "val loss", "best epoch", "epochs"):
        table.add_column(column, justify="right")
    for row in shown:
        table.add_row(
            str(row.rank), *(_show(row.params[key]) for key in keys), f"{row.val_macro_f1:.4f}",
            f"{row.val_accuracy:.4f}", f"{row.val_loss:.4f}", str(row.best_epoch),
            f"{row.n_epochs} ({row.stop_reason})",
        )
    console.print(table)
