"""Real test images that ship with scikit-image, and the conversions between conventions.

Two conventions meet in this book: OpenCV's ``uint8`` images with values
0..255 and scikit-image's ``float64`` images with values in [0, 1].
:func:`to_uint8` and :func:`to_float` convert between them explicitly.

Used from Chapter 1 on.
"""

from __future__ import annotations

import numpy as np

from coursekit.core.validation import check_array, check_in_range, check_nonnegative

__all__ = [
    "IMAGE_NAMES", "load_image", "rgb_to_gray", "to_float", "to_uint8", "add_gaussian_noise",
    "add_salt_and_pepper",
]

#: Images of ``skimage.data`` that load offline (they are inside the wheel).
IMAGE_NAMES = (
    "camera", "astronaut", "coins", "checkerboard", "chelsea", "coffee", "moon", "page",
    "text", "horse", "rocket", "brick", "grass", "gravel", "cell", "clock", "hubble_deep_field",
)


def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """Luma of an RGB image, ``Y = 0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601).

    Defined in :ref:`sec-images-as-arrays`.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray
        uint8 in 0..255 or float in [0, 1].

    Returns
    -------
    (H, W) ndarray
        float64 in the same value range as the input.

    Examples
    --------
    >>> rgb_to_gray(np.array([[[255, 0, 0], [255, 255, 255]]], dtype=np.uint8)).round(3)
    array([[ 76.245, 255.   ]])
    """
    check_array(rgb, "rgb", ndim=3, dtype_kind="fiu")
    if rgb.shape[-1] not in (3, 4):
        raise ValueError(f"rgb must have 3 (or 4) channels in its last axis, got shape {rgb.shape}.")
    weights = np.array([0.299, 0.587, 0.114])
    return rgb[..., :3].astype(np.float64) @ weights  # (H, W)


def to_float(image: np.ndarray) -> np.ndarray:
    """Convert a uint8 image (0..255) to float64 in [0, 1]; a float image is checked and copied.

    Parameters
    ----------
    image : ndarray of uint8, or of float in [0, 1]
        Any shape (grey or colour).

    Returns
    -------
    ndarray of float64 in [0, 1]
        A new array of the same shape.

    Examples
    --------
    >>> to_float(np.array([[0, 255]], dtype=np.uint8))
    array([[0., 1.]])
    """
    check_array(image, "image", dtype_kind="fiu")
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255.0
    if image.dtype.kind == "f":
        check_in_range(image, 0.0, 1.0, "image")
        return image.astype(np.float64)
    raise ValueError(f"image must be uint8 or float in [0, 1], got dtype {image.dtype}.")


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Convert a float image in [0, 1] to uint8 (0..255) by rounding; uint8 passes through.

    Parameters
    ----------
    image : ndarray of float in [0, 1], or of uint8
        Any shape (grey or colour).

    Returns
    -------
    ndarray of uint8
        A new array of the same shape.

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.0]]))
    array([[  0, 128, 255]], dtype=uint8)
    """
    check_array(image, "image", dtype_kind="fu")
    if image.dtype == np.uint8:
        return image.copy()
    if image.dtype.kind != "f":
        raise ValueError(f"image must be float in [0, 1] or uint8, got dtype {image.dtype}.")
    check_in_range(image, 0.0, 1.0, "image")
    return np.round(image * 255.0).astype(np.uint8)


def load_image(name: str = "camera", gray: bool = True, size: int | None = None,
               dtype: str = "uint8") -> np.ndarray:
    """Load one of scikit-image's bundled photographs (no download).

    Parameters
    ----------
    name : str
        One of :data:`IMAGE_NAMES`.
    gray : bool
        Convert colour images to grey with :func:`rgb_to_gray`.
    size : int, optional
        Resize so that the longer side is ``size`` pixels (area averaging).
    dtype : {"uint8", "float"}
        ``uint8`` in 0..255 or ``float64`` in [0, 1].

    Returns
    -------
    (H, W) or (H, W, 3) ndarray

    Examples
    --------
    >>> load_image("camera").shape
    (512, 512)
    >>> load_image("astronaut", gray=False, size=128, dtype="float").shape
    (128, 128, 3)
    """
    from skimage import data as skdata  # imported lazily: it is slow to import

    if name not in IMAGE_NAMES:
        raise ValueError(f"unknown image {name!r}; choose one of {', '.join(IMAGE_NAMES)}.")
    if dtype not in ("uint8", "float"):
        raise ValueError(f"dtype must be 'uint8' or 'float', got {dtype!r}.")
    img = getattr(skdata, name)()
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    img = img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
    if gray and img.ndim == 3:
        img = rgb_to_gray(img)
    if size is not None:
        from skimage.transform import resize

        h, w = img.shape[:2]
        scale = size / max(h, w)
        shape = (max(1, round(h * scale)), max(1, round(w * scale))) + img.shape[2:]
        img = resize(img, shape, anti_aliasing=scale < 1, preserve_range=True)
    img = np.clip(img, 0.0, 1.0)
    return to_uint8(img) if dtype == "uint8" else img


def add_gaussian_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add zero-mean Gaussian noise of standard deviation ``sigma`` (in the image's units), clipped.

    uint8 in → uint8 out (clipped to 0..255); float in [0, 1] → float clipped to [0, 1].

    Parameters
    ----------
    image : ndarray of uint8, or of float in [0, 1]
        Any shape.
    sigma : float
        Standard deviation of the noise, >= 0, in the image's units (e.g. 10 grey levels for uint8).
    rng : np.random.Generator
        Draws the noise.

    Returns
    -------
    ndarray
        A new noisy image, same shape and dtype.

    Examples
    --------
    >>> noisy = add_gaussian_noise(np.full((4, 4), 128, dtype=np.uint8), 10.0, np.random.default_rng(0))
    >>> noisy.dtype, noisy.shape
    (dtype('uint8'), (4, 4))
    """
    check_array(image, "image", dtype_kind="fu")
    check_nonnegative(sigma, "sigma")
    noisy = image.astype(np.float64) + rng.normal(0.0, sigma, image.shape)
    if image.dtype == np.uint8:
        return np.clip(np.round(noisy), 0, 255).astype(np.uint8)
    return np.clip(noisy, 0.0, 1.0)


def add_salt_and_pepper(image: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Set a fraction ``amount`` of pixels to black or white (half each) — impulse noise.

    Parameters
    ----------
    image : (H, W) or (H, W, C) ndarray of uint8, or of float in [0, 1]
        The image; a colour pixel is set on all its channels.
    amount : float
        Expected fraction of pixels hit, in [0, 1].
    rng : np.random.Generator
        Draws which pixels are hit.

    Returns
    -------
    ndarray
        A new image, same shape and dtype, with values 0 or the maximum (255 or 1.0) at the hit pixels.

    Examples
    --------
    >>> noisy = add_salt_and_pepper(np.full((10, 10), 128, dtype=np.uint8), 0.2, np.random.default_rng(0))
    >>> sorted(set(noisy.ravel().tolist()))
    [0, 128, 255]
    """
    check_array(image, "image", dtype_kind="fu")
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"amount must be a fraction in [0, 1], got {amount}.")
    out = image.copy()
    hi = 255 if image.dtype == np.uint8 else 1.0
    u = rng.random(image.shape[:2])
    out[u < amount / 2] = 0
    out[(u >= amount / 2) & (u < amount)] = hi
    return out
