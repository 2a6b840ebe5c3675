"""Gaussian data: the mixture of Liang et al. and the two views of Yang et al."""

import numpy as np
from sklearn.utils import check_random_state

from ._checks import check_finite, check_positive_int

COORDINATES = ("cartesian", "polar")


def make_gaussian_mixture(
    n_samples=10000,
    *,
    norm=2.0,
    angle=np.pi / 4,
    coordinates="cartesian",
    random_state=None,
):
    """The two-dimensional Gaussian mixture of Liang et al. (NeurIPS 2023).

    A sign ``s`` is uniform on ``{-1, +1}`` and the point ``(x1, x2)`` given
    ``s`` is ``N(s * mu, I_2)`` with ``mu = norm * (cos(angle), sin(angle))``.
    Each coordinate of the point is one modality. In Cartesian coordinates
    the angle moves information between the modalities (``angle=0``: all in
    ``x1``; ``pi/4``: shared evenly); in polar coordinates the radius alone
    carries almost nothing about ``s`` and the information is synergistic.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of samples.
    norm : float, default=2.0
        ``||mu||``, the distance of each class mean from the origin (>= 0).
    angle : float, default=pi/4
        Direction of ``mu``, in radians.
    coordinates : {"cartesian", "polar"}, default="cartesian"
        ``"cartesian"``: columns ``x1, x2``. ``"polar"``: columns radius
        ``r = hypot(x1, x2)`` and angle ``theta = arctan2(x2, x1)`` in
        radians, in ``[-pi, pi]``.
    random_state : int, RandomState instance or None, default=None
        Seed of the labels and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), dtype float64
        Modality 1 then modality 2, one column each (use ``modalities=None``).
    y : ndarray of shape (n_samples,), dtype int64
        Class label in ``{0, 1}``: label 1 is ``s = +1`` (mean ``+mu``), label
        0 is ``s = -1`` (mean ``-mu``).

    References
    ----------
    Liang et al. "Quantifying & modeling multimodal interactions: an
    information decomposition framework." NeurIPS 2023, §4.1.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_gaussian_mixture
    >>> X, y = make_gaussian_mixture(n_samples=1000, random_state=0)
    >>> X.shape, set(y.tolist()) == {0, 1}
    ((1000, 2), True)
    >>> r, theta = make_gaussian_mixture(n_samples=1000, coordinates="polar",
    ...                                  random_state=0)[0].T
    >>> bool(np.allclose(r * np.cos(theta), X[:, 0]))
    True
    """
    check_positive_int("n_samples", n_samples)
    check_finite("norm", norm)
    check_finite("angle", angle)
    if norm < 0:
        raise ValueError(f"norm must be >= 0, got {norm!r}.")
    if coordinates not in COORDINATES:
        raise ValueError(
            f"coordinates must be one of {', '.join(COORDINATES)}, got {coordinates!r}."
        )
    rng = check_random_state(random_state)
    y = rng.randint(2, size=n_samples).astype(np.int64)
    mu = norm * np.array([np.cos(angle), np.sin(angle)])
    X = (2 * y - 1)[:, None] * mu + rng.standard_normal((n_samples, 2))
    if coordinates == "polar":
        X = np.column_stack([np.hypot(X[:, 0], X[:, 1]), np.arctan2(X[:, 1], X[:, 0])])
    return X, y


def make_gaussian_modalities(
    n_samples=2000, *, n_classes=2, rho=0.5, noise=0.5, random_state=None
):
    """Two noisy one-hot views of a label: the toy model of Yang et al. (ICML 2025).

    ``y`` is uniform on ``{0, ..., K-1}`` (``K = n_classes``), ``e_y`` its
    one-hot vector in ``R^K`` and ``u, v ~ N(0, noise^2 I_K)`` independent:

    * ``x1 = e_y + u``,
    * ``x2 = e_y + rho * u + sqrt(1 - rho^2) * v``.

    Both views have the same class-conditional law ``N(e_y, noise^2 I_K)``;
    ``rho`` correlates their noise, so it moves information from synergy
    towards redundancy. Every density and posterior is known in closed form:
    :func:`gaussian_modalities_pointwise` gives the exact per-sample values
    that :class:`~sklearn_pid.LSMIEstimator` estimates.

    Parameters
    ----------
    n_samples : int, default=2000
    n_classes : int, default=2
        ``K >= 2``; also the dimension of each modality.
    rho : float, default=0.5
        Noise correlation, in ``(-1, 1)``.
    noise : float, default=0.5
        Noise standard deviation (> 0).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 2 * n_classes)
        ``x1`` then ``x2``: use ``modalities=n_classes``.
    y : ndarray of shape (n_samples,), dtype int64

    References
    ----------
    Yang, Wang, Hu. "Efficient quantification of multimodal interaction at
    sample level." ICML 2025.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_gaussian_modalities
    >>> X, y = make_gaussian_modalities(5, n_classes=3, random_state=0)
    >>> X.shape, y.shape
    ((5, 6), (5,))
    """
    check_positive_int("n_samples", n_samples)
    check_gaussian_modalities(n_classes, rho, noise)
    rng = check_random_state(random_state)
    y = rng.randint(n_classes, size=n_samples).astype(np.int64)
    u = noise * rng.standard_normal((n_samples, n_classes))
    v = noise * rng.standard_normal((n_samples, n_classes))
    e = np.eye(n_classes)[y]
    X = np.hstack([e + u, e + rho * u + np.sqrt(1 - rho**2) * v])
    return X, y


def check_gaussian_modalities(n_classes, rho, noise):
    check_positive_int("n_classes", n_classes, minimum=2)
    check_finite("rho", rho)
    check_finite("noise", noise)
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}.")
    if noise <= 0:
        raise ValueError(f"noise must be > 0, got {noise!r}.")
