"""Kernel-free demos: the slider's index is linked to the stack of precomputed frames in the browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link
import pytest

from coursekit.notebook.widgets import frame_slider, render_frames


def _draw(fig, value):
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, value])
    ax.set_title(f"slope {value}")


def test_frame_slider_links_slider_index_to_stack():
    frames = render_frames(_draw, [1, 2, 3])
    assert all(f[:8] == b"\x89PNG\r\n\x1a\n" for f in frames)
    box = frame_slider(frames, ["1", "2", "3"], description="slope", value_index=1)
    slider, stack = box.children
    assert isinstance(stack, w.Stack) and stack.selected_index == 1 and slider.index == 1
    links = [x for x in _instances.values() if isinstance(x, Link)]
    assert any(l.source == (slider, "index") and l.target == (stack, "selected_index") for l in links)


def test_frame_slider_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="one label per frame"):
        frame_slider([b"x"], ["a", "b"])


def test_every_frame_has_alt_text():
    frames = render_frames(_draw, [1, 2])
    box = frame_slider(frames, ["1", "2"], description="slope", alt="A line")
    _, stack = box.children
    assert ['alt="A line (slope = 1)"' in stack.children[0].value, 'alt="A line (slope = 2)"' in stack.children[1].value] == [True, True]
    with pytest.raises(ValueError, match="alt text per frame"):
        frame_slider(frames, ["1", "2"], alt=["only one"])


def test_figure_widget_requires_and_embeds_alt_text():
    import matplotlib.pyplot as plt

    from coursekit.notebook.widgets import figure_widget

    fig = plt.figure()
    assert 'alt="A figure"' in figure_widget(fig, "A figure").value
    with pytest.raises(ValueError, match="alt"):
        figure_widget(plt.figure(), " ")
