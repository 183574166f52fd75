"""Rendering evaluations for people: the terminal view (rich)."""

from multiclass.report.terminal import (
    render_datasets,
    render_evaluation,
    render_headline,
)

__all__ = ["render_datasets", "render_evaluation", "render_headline"]
