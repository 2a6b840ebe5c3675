"""Synthetic generators and bundled real data with two modalities.

Every function returns ``X, y`` with both modalities side by side in one 2-D
``X``; its docstring says which ``modalities=`` value splits ``X`` back into
modality 1 and modality 2. Nothing is downloaded: the real data ship with
scikit-learn.
"""

import numbers

import numpy as np
import pandas as pd
from scipy import special
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from ._base import ATOMS, LSMI_TERMS
from ._information import lsmi_atoms

#: Names accepted by :func:`make_bitwise`.
BITWISE_GATES = (
    "and",
    "or",
    "xor",
    "nand",
    "nor",
    "xnor",
    "copy",
    "sum",
    "unique_1",
    "unique_2",
    "redundant",
)

_GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xnor": lambda a, b: 1 - (a ^ b),
    "copy": lambda a, b: 2 * a + b,
    "sum": lambda a, b: a + b,
    "unique_1": lambda a, b: a,
    "unique_2": lambda a, b: b,
    "redundant": lambda a, b: a,
}

COORDINATES = ("cartesian", "polar")

#: Pixels per half image of :func:`load_digits_halves` (4 rows of 8).
DIGITS_HALF = 32


def _check_n_samples(n_samples):
    is_int = isinstance(n_samples, numbers.Integral) and not isinstance(n_samples, bool)
    if not is_int or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}.")


def _check_finite(name, value):
    if not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}.")


def make_bitwise(gate="and", n_samples=10000, *, one_hot=False, random_state=None):
    """Two random bits and a logic gate of them: the classic PID examples.

    ``x1`` and ``x2`` are independent fair bits (Bernoulli(1/2)), except for
    ``gate="redundant"`` where ``x2`` is a copy of ``x1``; ``y = gate(x1, x2)``:

    ============  ========================  =========  ==============================
    gate          y                         classes    exact PID (bits, uniform bits)
    ============  ========================  =========  ==============================
    "and"         x1 AND x2                 {0, 1}     R=0.311, S=0.5
    "or"          x1 OR x2                  {0, 1}     R=0.311, S=0.5
    "xor"         x1 XOR x2                 {0, 1}     S=1
    "nand"        NOT (x1 AND x2)           {0, 1}     as "and"
    "nor"         NOT (x1 OR x2)            {0, 1}     as "or"
    "xnor"        NOT (x1 XOR x2)           {0, 1}     as "xor"
    "copy"        2 x1 + x2 (the pair)      {0..3}     U1=U2=1
    "sum"         x1 + x2                   {0, 1, 2}  R=0.5, S=1
    "unique_1"    x1                        {0, 1}     U1=1
    "unique_2"    x2                        {0, 1}     U2=1
    "redundant"   x1, with x2 = x1          {0, 1}     R=1
    ============  ========================  =========  ==============================

    The exact values hold for the uniform distribution of the bits; a finite
    sample deviates from them by O(1/sqrt(n_samples)).

    Parameters
    ----------
    gate : str, default="and"
        One of :data:`BITWISE_GATES`.
    n_samples : int, default=10000
        Number of samples.
    one_hot : bool, default=False
        If True, each bit is encoded as two one-hot columns
        ``[bit == 0, bit == 1]``.
    random_state : int, RandomState instance or None, default=None
        Seed of the bits.

    Returns
    -------
    X : ndarray of shape (n_samples, 2) or (n_samples, 4), dtype int64
        Modality 1 then modality 2. With ``one_hot=False`` the columns are
        ``x1, x2`` (use ``modalities=None``); with ``one_hot=True`` they are
        ``x1==0, x1==1, x2==0, x2==1`` (use ``modalities=2``).
    y : ndarray of shape (n_samples,), dtype int64
        ``gate(x1, x2)``.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_bitwise
    >>> X, y = make_bitwise("xor", n_samples=5, random_state=0)
    >>> X.shape, y.shape
    ((5, 2), (5,))
    >>> bool(((X[:, 0] ^ X[:, 1]) == y).all())
    True
    >>> make_bitwise("and", n_samples=5, one_hot=True, random_state=0)[0].shape
    (5, 4)
    """
    if gate not in _GATES:
        raise ValueError(
            f"Unknown gate {gate!r}; choose one of {', '.join(BITWISE_GATES)}."
        )
    _check_n_samples(n_samples)
    rng = check_random_state(random_state)
    bits = rng.randint(2, size=(n_samples, 2)).astype(np.int64)
    if gate == "redundant":
        bits[:, 1] = bits[:, 0]
    y = _GATES[gate](bits[:, 0], bits[:, 1])
    if one_hot:
        X = np.column_stack(
            [bits[:, 0] == 0, bits[:, 0] == 1, bits[:, 1] == 0, bits[:, 1] == 1]
        ).astype(np.int64)
    else:
        X = bits
    return X, y


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
    _check_n_samples(n_samples)
    _check_finite("norm", norm)
    _check_finite("angle", angle)
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
    _check_n_samples(n_samples)
    _check_gaussian_modalities(n_classes, rho, noise)
    rng = check_random_state(random_state)
    y = rng.randint(n_classes, size=n_samples).astype(np.int64)
    u = noise * rng.standard_normal((n_samples, n_classes))
    v = noise * rng.standard_normal((n_samples, n_classes))
    e = np.eye(n_classes)[y]
    X = np.hstack([e + u, e + rho * u + np.sqrt(1 - rho**2) * v])
    return X, y


def gaussian_modalities_pointwise(X, y, *, n_classes=2, rho=0.5, noise=0.5, base=2):
    """Exact per-sample LSMI values of :func:`make_gaussian_modalities` data.

    With the true densities of the model (class prior ``1/K``):
    ``i_m = log p(y|x_m) - log p(y)``, ``i_joint = log p(y|x1,x2) - log p(y)``,
    ``h_m = -log p(x_m)``; then ``r = min(h_1, h_2) - min(h_1 - i_1, h_2 - i_2)``,
    ``u_m = i_m - r`` and ``s = i_joint - r - u_1 - u_2``, as in
    :class:`~sklearn_pid.LSMIEstimator`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2 * n_classes)
    y : ndarray of int of shape (n_samples,)
        Labels in ``0 .. n_classes-1``.
    n_classes, rho, noise : as in :func:`make_gaussian_modalities`
    base : float, default=2
        Logarithm base of the values (``math.e`` for nats).

    Returns
    -------
    DataFrame of shape (n_samples, 9)
        Columns ``redundancy, unique_1, unique_2, synergy, h_1, h_2, i_1, i_2,
        i_joint``.

    Examples
    --------
    >>> import math
    >>> from sklearn_pid.datasets import (
    ...     gaussian_modalities_pointwise, make_gaussian_modalities)
    >>> X, y = make_gaussian_modalities(1000, rho=0.5, random_state=0)
    >>> exact = gaussian_modalities_pointwise(X, y, rho=0.5, base=math.e)
    >>> bool(((exact.redundancy + exact.unique_1) - exact.i_1).abs().max() < 1e-12)
    True
    """
    _check_gaussian_modalities(n_classes, rho, noise)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 * n_classes or y.shape != (X.shape[0],):
        raise ValueError(
            f"X must have shape (n_samples, {2 * n_classes}) and y (n_samples,)."
        )
    K = n_classes
    d1 = X[:, None, :K] - np.eye(K)  # (n, K classes, K dims): x1 - e_c
    d2 = X[:, None, K:] - np.eye(K)
    var = noise**2
    log_x1 = -0.5 * (d1**2).sum(-1) / var - 0.5 * K * np.log(2 * np.pi * var)
    log_x2 = -0.5 * (d2**2).sum(-1) / var - 0.5 * K * np.log(2 * np.pi * var)
    det = 1 - rho**2
    quad = (d1**2 - 2 * rho * d1 * d2 + d2**2).sum(-1) / (var * det)
    log_x12 = -0.5 * quad - K * np.log(2 * np.pi * var * np.sqrt(det))
    rows = np.arange(X.shape[0])
    terms = {}
    for name, log_cond in (("1", log_x1), ("2", log_x2), ("joint", log_x12)):
        log_marginal = special.logsumexp(log_cond, axis=1) - np.log(K)
        terms["i_" + name] = log_cond[rows, y] - log_marginal
        if name != "joint":
            terms["h_" + name] = -log_marginal
    atoms = lsmi_atoms(
        terms["h_1"], terms["h_2"], terms["i_1"], terms["i_2"], terms["i_joint"]
    )
    frame = pd.DataFrame(dict(zip(ATOMS, atoms)) | terms)
    return frame[list(ATOMS) + list(LSMI_TERMS)] / np.log(base)


def _check_gaussian_modalities(n_classes, rho, noise):
    if not isinstance(n_classes, numbers.Integral) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")
    _check_finite("rho", rho)
    _check_finite("noise", noise)
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}.")
    if noise <= 0:
        raise ValueError(f"noise must be > 0, got {noise!r}.")


def load_digits_halves(*, return_X_y=True, as_frame=False):
    """Scikit-learn's 8x8 handwritten digits, split into top and bottom halves.

    The 1797 images of ``sklearn.datasets.load_digits`` (shipped with
    scikit-learn, no download) are flattened row by row, so modality 1, the
    top half (image rows 0-3), is the first 32 pixel columns and modality 2,
    the bottom half (rows 4-7), the last 32: use ``modalities=32``. Pixel
    ``k`` of a half is at row ``k // 8`` of that half, column ``k % 8``.
    Pixel values are grey levels, whole numbers from 0 to 16.

    Parameters
    ----------
    return_X_y : bool, default=True
        If True return ``(X, y)``, else a :class:`~sklearn.utils.Bunch`.
    as_frame : bool, default=False
        If True, ``X`` is a DataFrame with columns ``top_0 .. top_31,
        bottom_0 .. bottom_31`` and ``y`` a Series named ``"digit"``.

    Returns
    -------
    X : ndarray or DataFrame of shape (1797, 64), dtype float64
        Top-half pixels then bottom-half pixels.
    y : ndarray or Series of shape (1797,), dtype int64
        The digit, 0 to 9.
    bunch : Bunch
        When ``return_X_y=False``: ``data`` (X), ``target`` (y), ``frame``
        (``data`` and ``target`` in one DataFrame if ``as_frame``, else
        None), ``modalities`` (32), ``feature_names``, ``target_names`` and
        ``DESCR``.

    Examples
    --------
    >>> from sklearn_pid.datasets import load_digits_halves
    >>> X, y = load_digits_halves()
    >>> X.shape, y.shape
    ((1797, 64), (1797,))
    >>> load_digits_halves(as_frame=True)[0].columns[[0, 32]].tolist()
    ['top_0', 'bottom_0']
    """
    digits = load_digits()
    X, y = digits.data, digits.target.astype(np.int64)
    feature_names = [f"top_{k}" for k in range(DIGITS_HALF)] + [
        f"bottom_{k}" for k in range(DIGITS_HALF)
    ]
    frame = None
    if as_frame:
        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name="digit")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=frame,
        modalities=DIGITS_HALF,
        feature_names=feature_names,
        target_names=digits.target_names,
        DESCR=_DIGITS_DESCR + digits.DESCR,
    )


_DIGITS_DESCR = """\
Digits halves
-------------
scikit-learn's optical recognition of handwritten digits (8x8 images, 1797
samples, 10 classes) with two modalities: the top half of each image (rows
0-3, columns top_0..top_31) and the bottom half (rows 4-7, columns
bottom_0..bottom_31). Pass modalities=32.

"""
