"""Interactive demos that still respond in the static HTML book.

An ``ipywidgets.interact`` slider needs a running kernel: in the rendered book
it moves but nothing changes. :func:`frame_slider` instead precomputes one
picture per slider position, puts them in an ``ipywidgets.Stack`` and links
the slider's index to the stack's ``selected_index`` in the browser
(``jslink``), so the page responds with no kernel at all.
"""

from __future__ import annotations

import io
from typing import Callable, Sequence

__all__ = ["figure_to_png", "figure_widget", "frame_slider", "render_frames"]


def figure_to_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed afterwards, so a notebook does not show it a second time.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    bytes
        The PNG file, cropped to the drawn area (``bbox_inches="tight"``).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.plot([0, 1], [0, 1])
    >>> figure_to_png(fig)[1:4]           # the PNG signature
    b'PNG'
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def figure_widget(fig, alt: str, width: str = "560px", dpi: int = 80):
    """A matplotlib figure as an ``ipywidgets.HTML`` image with alt text, to sit beside a slider.

    ``ipywidgets.Image`` has no alt attribute; an ``<img>`` with a data URL does.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (closed afterwards).
    alt : str
        What the figure shows, for readers who cannot see it (required, not blank).
    width : str
        CSS maximum width of the image.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    ipywidgets.HTML
        An ``<img>`` holding the PNG as a data URL.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> 'alt="An empty plot"' in figure_widget(fig, "An empty plot").value
    True
    """
    import base64
    import html as html_lib

    import ipywidgets as w

    if not alt or not alt.strip():
        raise ValueError("alt must describe the figure for readers who cannot see it.")
    png = base64.b64encode(figure_to_png(fig, dpi=dpi)).decode()
    return w.HTML(f'<img src="data:image/png;base64,{png}" alt="{html_lib.escape(alt, quote=True)}" '
                  f'style="max-width: {width}; height: auto;">')


def render_frames(draw: Callable, values: Sequence, dpi: int = 80, figsize=(8, 3.2)) -> list[bytes]:
    """Draw one matplotlib figure per value and return their PNG bytes.

    Parameters
    ----------
    draw : callable
        ``draw(fig, value)`` fills the (empty) figure for one slider position.
    values : sequence
        The slider's positions.
    dpi : int
        Resolution of each PNG.
    figsize : (float, float)
        Size of each figure in inches.

    Returns
    -------
    list of bytes
        One PNG per value, in order (the ``frames`` of :func:`frame_slider`).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> frames = render_frames(lambda fig, s: fig.add_subplot().set_title(f"sigma = {s}"), [1, 2, 4])
    >>> len(frames), frames[0][1:4]
    (3, b'PNG')
    """
    import matplotlib.pyplot as plt

    frames = []
    for v in values:
        fig = plt.figure(figsize=figsize)
        draw(fig, v)
        frames.append(figure_to_png(fig, dpi=dpi))
    return frames


def frame_slider(frames: Sequence[bytes], labels: Sequence, description: str = "value",
                 value_index: int = 0, width: str = "640px", alt: str | Sequence[str] | None = None):
    """A slider that flips between precomputed PNG frames, with or without a kernel.

    Parameters
    ----------
    frames : sequence of bytes
        PNG images, one per slider position (see :func:`render_frames`).
    labels : sequence
        What the slider shows at each position (e.g. the value of sigma).
    description : str
        The slider's caption.
    value_index : int
        The position shown first.
    width : str
        CSS width of the slider and the images.
    alt : str or sequence of str, optional
        Alt text of the frames: one string per frame, or one string that is completed with
        ``" (description = label)"``. Default: ``"<description> = <label>"``.

    Returns
    -------
    ipywidgets.VBox
        The slider above the stack of images.

    Notes
    -----
    Each frame is an ``ipywidgets.HTML`` holding an ``<img>`` with a data URL, because
    ``ipywidgets.Image`` has no alt attribute; a screen reader then describes every frame.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> frames = render_frames(lambda fig, s: fig.add_subplot().set_title(f"sigma = {s}"), [1, 2])
    >>> box = frame_slider(frames, [1, 2], description="sigma")
    >>> type(box).__name__, len(box.children)
    ('VBox', 2)
    """
    import base64
    import html as html_lib

    import ipywidgets as w

    if len(frames) == 0 or len(frames) != len(labels):
        raise ValueError(f"need one label per frame, got {len(frames)} frames and {len(labels)} labels.")
    if not 0 <= value_index < len(frames):
        raise ValueError(f"value_index must be in [0, {len(frames) - 1}], got {value_index}.")
    if alt is None:
        alts = [f"{description} = {lab}" for lab in labels]
    elif isinstance(alt, str):
        alts = [f"{alt} ({description} = {lab})" for lab in labels]
    else:
        alts = [str(a) for a in alt]
        if len(alts) != len(frames):
            raise ValueError(f"need one alt text per frame, got {len(alts)} for {len(frames)} frames.")
    options = [(str(lab), i) for i, lab in enumerate(labels)]
    slider = w.SelectionSlider(options=options, index=value_index, description=description,
                               continuous_update=True, style={"description_width": "initial"},
                               layout=w.Layout(width=width))
    images = [w.HTML(f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
                     f'alt="{html_lib.escape(text, quote=True)}" style="max-width: {width}; height: auto;">')
              for png, text in zip(frames, alts)]
    stack = w.Stack(images, selected_index=value_index)
    w.jslink((slider, "index"), (stack, "selected_index"))
    return w.VBox([slider, stack])
