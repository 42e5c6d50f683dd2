"""A tiny 3D-convolutional video classifier and its single-frame twin (Chapter 16, Video).

Chapter 16 trains :class:`TinyVideoNet` on the motion classes of :func:`coursekit.data.video.action_clips`
and the same network with ``single_frame=True`` (it sees only the middle frame, with 1×3×3 kernels) to show
that direction of motion is invisible in one frame: video is not images × T.

References
----------
D. Tran et al., "Learning spatiotemporal features with 3D convolutional networks", ICCV 2015 (C3D).
J. Carreira and A. Zisserman, "Quo vadis, action recognition? A new model and the Kinetics dataset",
CVPR 2017 (I3D).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from coursekit.core.validation import check_int, check_shape

__all__ = ["VideoClassifierConfig", "TinyVideoNet"]


@dataclass
class VideoClassifierConfig:
    """Settings of :class:`TinyVideoNet`; the defaults train on 4 motion classes in a few seconds.

    Defined in :ref:`sec-video-classifier`.

    Parameters
    ----------
    num_classes : int
        K, the number of logits.
    in_channels : int
        C of the clip (1 for grey).
    channels : (int, int)
        Widths (C1, C2) of the two convolutions.
    kernel_t : int
        Temporal extent K_T of the kernels (odd); ignored (1) when ``single_frame``.
    single_frame : bool
        See only the middle frame ``x[:, :, T // 2]``: a 2-D CNN in 3-D clothing.

    Examples
    --------
    >>> VideoClassifierConfig(single_frame=True).kernel_t
    3
    """

    num_classes: int = 4
    in_channels: int = 1
    channels: tuple[int, int] = (8, 16)
    kernel_t: int = 3
    single_frame: bool = False

    def __post_init__(self):
        if not (isinstance(self.channels, (tuple, list)) and len(self.channels) == 2):
            raise ValueError(f"channels must be a pair (C1, C2), got {self.channels!r}.")
        for i, c in enumerate(self.channels):
            check_int(c, f"channels[{i}]")
        check_int(self.num_classes, "num_classes", minimum=2)
        check_int(self.in_channels, "in_channels")
        if check_int(self.kernel_t, "kernel_t") % 2 == 0:
            raise ValueError(f"kernel_t must be odd (same-size padding in time), got {self.kernel_t}.")
        if not isinstance(self.single_frame, bool):
            raise ValueError(f"single_frame must be True or False, got {self.single_frame!r}.")


class TinyVideoNet(nn.Module):
    """Two 3-D convolutions (K_T×3×3, spatial stride 2), ReLU, global max pooling, a linear head.

    Defined in :ref:`sec-video-classifier` (Eq. :eq:`eq-video-conv3d`).

    Parameters
    ----------
    config : VideoClassifierConfig, optional
        Classes, widths, temporal kernel and the single-frame switch (default ``VideoClassifierConfig()``).

    Notes
    -----
    Input (B, C, T, H, W), PyTorch's layout for ``nn.Conv3d``. Each convolution pads K_T // 2 frames in time
    and keeps T; the spatial stride halves H and W. Max pooling over (T, H, W) asks "does this spatio-temporal
    pattern occur anywhere?", so the logits depend on *what moves how*, not on where or when (a moving edge
    lights up few positions, which an average would dilute; with max pooling the net learns in 2-3 epochs). With ``single_frame=True`` the network slices the middle frame
    (T = 1) and its kernels are 1×3×3: the same capacity minus time. Initialise with
    ``init_parameters_(TinyVideoNet(config), generator)``.

    Examples
    --------
    >>> model = TinyVideoNet(VideoClassifierConfig(channels=(4, 8)))
    >>> model(torch.zeros(2, 1, 8, 32, 32)).shape
    torch.Size([2, 4])
    """

    def __init__(self, config: VideoClassifierConfig | None = None):
        super().__init__()
        config = VideoClassifierConfig() if config is None else config
        if not isinstance(config, VideoClassifierConfig):
            raise ValueError(f"config must be a VideoClassifierConfig, got {type(config).__name__}.")
        self.config = config
        kt = 1 if config.single_frame else config.kernel_t
        c1, c2 = config.channels
        self.features = nn.Sequential(
            nn.Conv3d(config.in_channels, c1, (kt, 3, 3), stride=(1, 2, 2), padding=(kt // 2, 1, 1)),
            nn.ReLU(),
            nn.Conv3d(c1, c2, (kt, 3, 3), stride=(1, 2, 2), padding=(kt // 2, 1, 1)),
            nn.ReLU(),
        )
        self.head = nn.Linear(c2, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, K) of clips x of shape (B, C, T, H, W)."""
        sizes = check_shape(x, "B C T H W", C=self.config.in_channels)
        if self.config.single_frame:
            mid = sizes["T"] // 2
            x = x[:, :, mid:mid + 1]                               # (B, C, 1, H, W) the middle frame only
        a = self.features(x)                                       # (B, C2, T, H/4, W/4)
        return self.head(a.amax(dim=(2, 3, 4)))                    # (B, K)
