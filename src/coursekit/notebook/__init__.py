"""Notebook helpers: kernel-free slider widgets, plotting helpers and timing. Not lesson code."""

from coursekit.notebook.glue import plain, glue
from coursekit.notebook.plotting import decision_regions
from coursekit.notebook.timing import median_time, median_ms, median_times_interleaved
from coursekit.notebook.widgets import figure_to_png, figure_widget, frame_slider, render_frames

__all__ = [
    "plain",
    "glue",
    "decision_regions",
    "median_time",
    "median_ms",
    "median_times_interleaved",
    "figure_to_png",
    "figure_widget",
    "frame_slider",
    "render_frames",
]
