"""A digit's shape, measured the way the field measures it: Morpho-MNIST's morphometrics.

Castro et al., "Morpho-MNIST" (JMLR 2019), measure each digit on a 4× upscaled copy binarised
at half its range:

* ``area``: the binarised strokes' area, in MNIST pixels;
* ``length``: the length of the strokes' skeleton, diagonal steps counted √2;
* ``thickness``: twice the mean distance from the skeleton to the strokes' edge;
* ``slant``: the image's horizontal shear from its second moments, in radians (positive leans right);
* ``width`` and ``height``: the sides of the parallelogram, sheared by the slant, that holds all
  but 2 % of the ink (1 % cut from each side).

scikit-image does the upscaling and the skeleton, scipy the distances; the rest is moments and
quantiles. The definitions follow the paper's code (github.com/dccastro/Morpho-MNIST, MIT), but
for one step: the skeleton is scikit-image's thinning (``skeletonize``), not its ``medial_axis``,
which is over 100 times slower (14 ms a digit against 0.1 ms). Over 300 MNIST test digits the two give
thicknesses 0.05 pixel apart on average (correlation 0.996); the thinned skeleton reads 5 % shorter
(it has no spurs into the strokes' corners). About 2 ms a digit on one core.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage import morphology, transform

ATTRIBUTES = ("area", "length", "thickness", "slant", "width", "height")
SCALE = 4  # the upscaling the paper measures at: sub-pixel thickness and slant
THRESHOLD = 0.5  # binarise at this fraction between the upscaled image's darkest and brightest pixel
BOUND_FRACTION = 0.02  # ink left outside the bounding parallelogram, half on each side
# each skeleton pixel's length: half of each step to the neighbours after it (right, below-left, below, below-right)
STEP_LENGTHS = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [np.sqrt(2.0), 1.0, np.sqrt(2.0)]])


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, float]) -> np.ndarray:
    """The ``qs`` quantiles of ``values`` weighted by ``weights`` (the mass below each value, interpolated)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return np.interp(qs, cumulative, values[order])


def measure_one(image: np.ndarray) -> np.ndarray:
    """One digit's six morphometrics, in :data:`ATTRIBUTES`'s order (NaN for a blank image)."""
    image = np.asarray(image, dtype=np.float64) / 255.0
    hires = transform.pyramid_expand(image, upscale=SCALE, order=3, channel_axis=None)
    low, high = hires.min(), hires.max()
    if high - low < 1e-6:
        return np.full(len(ATTRIBUTES), np.nan)
    binary = hires >= low + (high - low) * THRESHOLD
    skeleton, distance = morphology.skeletonize(binary), ndimage.distance_transform_edt(binary)
    area = binary.sum() / SCALE**2
    length = float((ndimage.correlate(skeleton.astype(float), STEP_LENGTHS, mode="constant") * skeleton).sum()) / SCALE
    thickness = 2.0 * distance[skeleton].mean() / SCALE

    mass = np.clip(hires, 0.0, None)
    y, x = np.indices(mass.shape, dtype=np.float64)
    total = mass.sum()
    x_mid, y_mid = (x * mass).sum() / total, (y * mass).sum() / total
    u11 = ((x - x_mid) * (y - y_mid) * mass).sum() / total
    u02 = ((y - y_mid) ** 2 * mass).sum() / total
    shear = u11 / u02  # x moves by `shear` per row down; a right-leaning digit has negative shear
    cut = (BOUND_FRACTION / 2, 1 - BOUND_FRACTION / 2)
    left, right = weighted_quantiles((x + 0.5 - shear * (y - y_mid)).ravel(), mass.ravel(), cut)
    top, bottom = weighted_quantiles(y.ravel(), mass.ravel(), cut)
    return np.array([area, length, thickness, np.arctan(-shear), (right - left) / SCALE, (bottom - top) / SCALE])


def measure(images: np.ndarray) -> dict[str, np.ndarray]:
    """The morphometrics of uint8 digits ``(n, 28, 28)`` (0 = background): one float array per attribute."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[None]
    table = np.stack([measure_one(image) for image in images]) if len(images) else np.empty((0, len(ATTRIBUTES)))
    return {name: table[:, i] for i, name in enumerate(ATTRIBUTES)}
