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


#: Interaction types of :func:`make_interaction_mixture`, in the order of
#: their one-hot type code.
INTERACTION_TYPES = ATOMS

#: The seven mixtures of the DMI paper's Figure 1, by name.
INTERACTION_MIXTURES = {
    "R": {"redundancy": 1.0},
    "U": {"uniqueness": 1.0},
    "S": {"synergy": 1.0},
    "R+S": {"redundancy": 0.5, "synergy": 0.5},
    "U+3R": {"uniqueness": 0.25, "redundancy": 0.75},
    "U+S": {"uniqueness": 0.5, "synergy": 0.5},
    "R+U+S": {"redundancy": 1 / 3, "uniqueness": 1 / 3, "synergy": 1 / 3},
}

#: Gates of two bits allowed in :func:`make_boolean_mixture`.
BOOLEAN_GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xnor": lambda a, b: 1 - (a ^ b),
}

#: The boolean mixtures of the DMI paper, by name.
BOOLEAN_MIXTURES = {
    "and+xor": {"and": 0.5, "xor": 0.5},
    "or+xor": {"or": 0.5, "xor": 0.5},
    "and+or+xor": {"and": 1 / 3, "or": 1 / 3, "xor": 1 / 3},
}

#: Hidden width of the fixed random encoding networks.
_NETWORK_HIDDEN = 32


def _check_positive_int(name, value, minimum=1):
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")


def _check_noise(noise):
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}.")


def _normalise(weights, allowed, what):
    """Validate a ``{name: weight}`` mapping and scale it to sum 1."""
    if not hasattr(weights, "items"):
        raise ValueError(
            f"{what} must be a name or a mapping from {sorted(allowed)} to "
            f"non-negative weights, got {weights!r}."
        )
    weights = {str(k): float(v) for k, v in weights.items()}
    unknown = sorted(set(weights) - set(allowed))
    if unknown:
        raise ValueError(f"Unknown {what} {unknown}; choose among {sorted(allowed)}.")
    values = np.array(list(weights.values()))
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise ValueError(
            f"The weights of {what} must be finite, non-negative and not all 0; "
            f"got {weights}."
        )
    return {k: v / values.sum() for k, v in weights.items()}


def _random_network(n_in, n_out, rng):
    """Weights of a fixed two-layer tanh network ``R^n_in -> R^n_out``."""
    w1 = rng.standard_normal((n_in, _NETWORK_HIDDEN)) / np.sqrt(n_in)
    b1 = 0.1 * rng.standard_normal(_NETWORK_HIDDEN)
    w2 = rng.standard_normal((_NETWORK_HIDDEN, n_out)) / np.sqrt(_NETWORK_HIDDEN)
    return w1, b1, w2


def _encode(signals, codes, n_informative, n_noise, network_seed, rng):
    """Map each modality's latent ``[signal, code]`` into input columns.

    Returns ``X`` with ``[f_1(latent_1), noise, f_2(latent_2), noise]``.
    """
    net_rng = np.random.RandomState(network_seed)
    blocks = []
    for signal in signals:
        latent = np.column_stack([signal, codes]) if codes is not None else signal
        latent = latent.reshape(signal.shape[0], -1)
        w1, b1, w2 = _random_network(latent.shape[1], n_informative, net_rng)
        informative = np.tanh(latent @ w1 + b1) @ w2
        blocks += [informative, rng.standard_normal((signal.shape[0], n_noise))]
    return np.hstack(blocks)


def make_interaction_mixture(
    proportions,
    n_samples=10000,
    *,
    n_informative=8,
    n_noise=8,
    noise=0.5,
    reveal_type=True,
    network_seed=0,
    random_state=None,
):
    """Samples that each carry one interaction type, in given proportions.

    Each sample draws a type, a fair label bit ``y`` and one latent bit
    ``a_m`` per modality:

    ===========  ==========================  ===========================
    type         modality 1 bit ``a_1``      modality 2 bit ``a_2``
    ===========  ==========================  ===========================
    redundancy   ``y``                       ``y``
    unique_1     ``y``                       a fair coin
    unique_2     a fair coin                 ``y``
    synergy      a fair coin ``c``           ``y XOR c``
    ===========  ==========================  ===========================

    Modality ``m``'s latent is the signal ``2 a_m - 1 + noise * N(0, 1)``
    followed, when ``reveal_type``, by the one-hot code of the type (in the
    order of :data:`INTERACTION_TYPES`; the type alone says nothing about
    ``y``). A fixed random network (two layers, tanh, weights drawn from
    ``network_seed``) maps it to ``n_informative`` columns, followed by
    ``n_noise`` columns of standard normal noise.

    With ``reveal_type=True`` and ``noise=0`` every type is learnable without
    error; ``noise`` blurs the bits (a bit is misread with probability
    ``Phi(-1 / noise)``), so that accuracies differ between models. Without
    the type code the types are confounded and the labels partly
    unpredictable.

    Parameters
    ----------
    proportions : str or mapping
        A name of :data:`INTERACTION_MIXTURES` (``"R"``, ``"U"``, ``"S"``,
        ``"R+S"``, ``"U+3R"``, ``"U+S"``, ``"R+U+S"``: the DMI paper's
        Figure 1) or a mapping from ``"redundancy"``, ``"unique_1"``,
        ``"unique_2"``, ``"synergy"`` and ``"uniqueness"`` (split evenly
        between ``unique_1`` and ``unique_2``) to non-negative weights,
        normalised to sum 1.
    n_samples : int, default=10000
    n_informative : int, default=8
        Informative columns per modality.
    n_noise : int, default=8
        Noise columns per modality.
    noise : float, default=0.5
        Standard deviation of the Gaussian noise on each latent signal.
    reveal_type : bool, default=True
        Whether each modality's latent includes the type code.
    network_seed : int, default=0
        Seed of the random networks: keep it fixed to draw training and test
        data from the same distribution with different ``random_state``.
    random_state : int, RandomState instance or None, default=None
        Seed of the types, bits, noise and noise columns.

    Returns
    -------
    X : ndarray of shape (n_samples, 2 * (n_informative + n_noise))
        Modality 1 then modality 2: use ``modalities=n_informative + n_noise``.
    y : ndarray of shape (n_samples,), dtype int64
        Label in ``{0, 1}``.
    types : ndarray of shape (n_samples,), dtype object
        The interaction type of each sample.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_interaction_mixture
    >>> X, y, types = make_interaction_mixture("R+S", n_samples=6, random_state=0)
    >>> X.shape, y.shape
    ((6, 32), (6,))
    >>> sorted(set(types))
    ['redundancy', 'synergy']
    """
    if isinstance(proportions, str):
        if proportions not in INTERACTION_MIXTURES:
            raise ValueError(
                f"Unknown mixture {proportions!r}; choose one of "
                f"{list(INTERACTION_MIXTURES)} or give a mapping of weights."
            )
        proportions = INTERACTION_MIXTURES[proportions]
    weights = _normalise(proportions, (*ATOMS, "uniqueness"), "interaction types")
    split = weights.pop("uniqueness", 0.0)
    for name in ("unique_1", "unique_2"):
        weights[name] = weights.get(name, 0.0) + split / 2
    p = np.array([weights.get(name, 0.0) for name in ATOMS])
    _check_positive_int("n_samples", n_samples)
    _check_positive_int("n_informative", n_informative)
    _check_positive_int("n_noise", n_noise, minimum=0)
    _check_noise(noise)
    rng = check_random_state(random_state)
    kind = rng.choice(len(ATOMS), size=n_samples, p=p / p.sum())
    y = rng.randint(2, size=n_samples).astype(np.int64)
    coin = rng.randint(2, size=n_samples)
    a1 = np.where((kind == 0) | (kind == 1), y, coin)
    a2 = np.select([kind == 0, kind == 2, kind == 3], [y, y, y ^ coin], coin)
    signals = [2.0 * a - 1.0 + noise * rng.standard_normal(n_samples) for a in (a1, a2)]
    codes = np.eye(len(ATOMS))[kind] if reveal_type else None
    X = _encode(signals, codes, n_informative, n_noise, network_seed, rng)
    types = np.asarray(ATOMS, dtype=object)[kind]
    return X, y, types


def _boolean_weights(mixture):
    if isinstance(mixture, str):
        if mixture not in BOOLEAN_MIXTURES:
            raise ValueError(
                f"Unknown boolean mixture {mixture!r}; choose one of "
                f"{list(BOOLEAN_MIXTURES)} or give a mapping of gate weights."
            )
        mixture = BOOLEAN_MIXTURES[mixture]
    return _normalise(mixture, BOOLEAN_GATES, "gates")


def make_boolean_mixture(
    mixture="and+xor",
    n_samples=10000,
    *,
    n_informative=8,
    n_noise=8,
    noise=0.1,
    reveal_gate=True,
    network_seed=0,
    random_state=None,
):
    """Two bits and a logic gate drawn per sample, encoded into input space.

    Each sample draws fair bits ``b_1``, ``b_2`` and a gate ``g`` with the
    mixture's weights (e.g. AND or XOR with probability 1/2 each), and
    ``y = g(b_1, b_2)``. Modality ``m``'s latent is ``2 b_m - 1 + noise *
    N(0, 1)`` followed, when ``reveal_gate``, by the one-hot code of the gate
    (both modalities see which gate applies); a fixed random network maps it
    to ``n_informative`` columns, followed by ``n_noise`` noise columns. With
    the default ``noise=0.1`` the bits are recoverable without error, so the
    exact decomposition of the data is that of the discrete table
    :func:`boolean_mixture_table` (states ``(b_m, g)``).

    Parameters
    ----------
    mixture : str or mapping, default="and+xor"
        A name of :data:`BOOLEAN_MIXTURES` (``"and+xor"``, ``"or+xor"``,
        ``"and+or+xor"``) or a mapping from gates of :data:`BOOLEAN_GATES` to
        non-negative weights.
    n_samples : int, default=10000
    n_informative : int, default=8
        Informative columns per modality.
    n_noise : int, default=8
        Noise columns per modality.
    noise : float, default=0.1
        Standard deviation of the noise on each latent bit.
    reveal_gate : bool, default=True
        Whether each modality's latent includes the gate code.
    network_seed : int, default=0
        Seed of the fixed random networks.
    random_state : int, RandomState instance or None, default=None
        Seed of the bits, gates and noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 2 * (n_informative + n_noise))
        Modality 1 then modality 2: use ``modalities=n_informative + n_noise``.
    y : ndarray of shape (n_samples,), dtype int64
        ``g(b_1, b_2)`` in ``{0, 1}``.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_boolean_mixture
    >>> X, y = make_boolean_mixture("and+xor", n_samples=5, random_state=0)
    >>> X.shape, y.shape
    ((5, 32), (5,))
    """
    weights = _boolean_weights(mixture)
    _check_positive_int("n_samples", n_samples)
    _check_positive_int("n_informative", n_informative)
    _check_positive_int("n_noise", n_noise, minimum=0)
    _check_noise(noise)
    rng = check_random_state(random_state)
    names = list(weights)
    gate = rng.choice(len(names), size=n_samples, p=list(weights.values()))
    bits = rng.randint(2, size=(n_samples, 2))
    y = np.zeros(n_samples, dtype=np.int64)
    for k, name in enumerate(names):
        rows = gate == k
        y[rows] = BOOLEAN_GATES[name](bits[rows, 0], bits[rows, 1])
    signals = [
        2.0 * bits[:, m] - 1.0 + noise * rng.standard_normal(n_samples) for m in (0, 1)
    ]
    codes = np.eye(len(names))[gate] if reveal_gate else None
    X = _encode(signals, codes, n_informative, n_noise, network_seed, rng)
    return X, y


def boolean_mixture_table(mixture="and+xor", *, reveal_gate=True):
    """Exact joint table ``p(x1, x2, y)`` of the latent states of a mixture.

    The distribution that :func:`make_boolean_mixture` encodes: with
    ``reveal_gate=True`` the state of modality ``m`` is ``b_m + 2 k`` for
    the ``k``-th gate of the mixture (its bit and the gate), otherwise just
    ``b_m``. Give it to :func:`sklearn_pid.broja_decomposition` for the exact
    redundancy, uniqueness and synergy.

    Parameters
    ----------
    mixture : str or mapping, default="and+xor"
        As in :func:`make_boolean_mixture`.
    reveal_gate : bool, default=True

    Returns
    -------
    ndarray of shape (n_states, n_states, 2)
        ``n_states = 2 * n_gates`` with ``reveal_gate``, else 2; sums to 1.

    Examples
    --------
    >>> from sklearn_pid import broja_decomposition
    >>> from sklearn_pid.datasets import boolean_mixture_table
    >>> atoms = broja_decomposition(boolean_mixture_table("and+xor"))
    >>> atoms[["redundancy", "unique_1", "unique_2", "synergy"]].round(4)
    redundancy    0.2044
    unique_1      0.0000
    unique_2      0.0000
    synergy       0.7500
    dtype: float64
    """
    weights = _boolean_weights(mixture)
    n_states = 2 * len(weights) if reveal_gate else 2
    p = np.zeros((n_states, n_states, 2))
    for k, (name, w) in enumerate(weights.items()):
        shift = 2 * k if reveal_gate else 0
        for a in (0, 1):
            for b in (0, 1):
                p[a + shift, b + shift, BOOLEAN_GATES[name](a, b)] += w / 4
    return p


#: Interactions accepted by :func:`make_latent_modalities`.
LATENT_INTERACTIONS = ("redundancy", "unique_1", "unique_2", "synergy")


def make_latent_modalities(
    interaction="redundancy",
    n_samples=10000,
    *,
    latent_dim=4,
    n_features_1=20,
    n_features_2=20,
    noise=0.0,
    random_state=None,
):
    """Two high-dimensional modalities from shared and private latents.

    The generative model of Liang et al. (NeurIPS 2023, App. C.3): three
    independent latent vectors ``z1``, ``z2``, ``zc ~ N(0, I_latent_dim)``; the
    modalities are fixed random linear maps of a private and the shared
    latent,

    * ``x1 = [z1, zc] @ W1 + noise * N(0, I)`` (``n_features_1`` columns),
    * ``x2 = [z2, zc] @ W2 + noise * N(0, I)`` (``n_features_2`` columns),

    and the label is built from sign bits of random directions of the
    latents, one bit per requested interaction:

    ============  =====================================  ==================
    interaction   bit                                    designed PID term
    ============  =====================================  ==================
    "redundancy"  ``zc . a > 0`` (seen by both)          R = 1 bit
    "unique_1"    ``z1 . a > 0`` (seen by x1 only)       U1 = 1 bit
    "unique_2"    ``z2 . a > 0`` (seen by x2 only)       U2 = 1 bit
    "synergy"     ``(z1 . a > 0) XOR (z2 . b > 0)``      S = 1 bit
    ============  =====================================  ==================

    A sequence of interactions (a mixture) makes ``y`` the integer whose
    binary digits are those bits, in the given order (``y`` has
    ``2 ** len(interaction)`` classes). Bits of different latents are
    independent, and so is a synergy bit of either unique bit alone, so each
    contributes its own bit of the designed term; the exception is
    ``synergy`` with *both* ``unique_1`` and ``unique_2`` (the random
    directions correlate the XOR's inputs with the unique bits), whose values
    are only approximately the designed ones. With ``noise=0`` and
    ``n_features_k >= 2 * latent_dim`` every bit is a deterministic function of
    the modalities it is designed for, so these values are exact; noise moves
    information out of them.

    Parameters
    ----------
    interaction : str or sequence of str, default="redundancy"
        One of :data:`LATENT_INTERACTIONS`, or several for a mixture.
    n_samples : int, default=10000
        Number of samples.
    latent_dim : int, default=4
        Dimension of each of ``z1``, ``z2``, ``zc``.
    n_features_1, n_features_2 : int, default=20
        Columns of each modality.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to each column. The
        maps ``W1``, ``W2`` have ``N(0, 1 / (2 * latent_dim))`` entries, so
        the noise-free columns have unit variance on average.
    random_state : int, RandomState instance or None, default=None
        Seed of the maps, the directions and the samples.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features_1 + n_features_2)
        Modality 1 then modality 2 (use ``modalities=n_features_1``).
    y : ndarray of shape (n_samples,), dtype int64
        Labels in ``0 .. 2 ** n_interactions - 1``.

    References
    ----------
    Liang et al. "Quantifying & modeling multimodal interactions: an
    information decomposition framework." NeurIPS 2023, App. C.3.

    Examples
    --------
    >>> from sklearn_pid.datasets import make_latent_modalities
    >>> X, y = make_latent_modalities("synergy", n_samples=1000, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((1000, 40), [0, 1])
    >>> X, y = make_latent_modalities(("redundancy", "unique_1"), n_samples=1000,
    ...                               n_features_1=10, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((1000, 30), [0, 1, 2, 3])
    """
    kinds = (interaction,) if isinstance(interaction, str) else tuple(interaction)
    if not kinds or any(k not in LATENT_INTERACTIONS for k in kinds):
        raise ValueError(
            f"interaction must be one of {', '.join(LATENT_INTERACTIONS)} or a "
            f"sequence of them, got {interaction!r}."
        )
    if len(set(kinds)) < len(kinds):
        # two bits from random directions of the same latents are correlated:
        # the designed values would no longer be exact
        raise ValueError(f"Each interaction may appear once, got {interaction!r}.")
    for name, value in (
        ("n_samples", n_samples),
        ("latent_dim", latent_dim),
        ("n_features_1", n_features_1),
        ("n_features_2", n_features_2),
    ):
        _check_positive_int(name, value)
    _check_noise(noise)
    rng = check_random_state(random_state)
    k = latent_dim
    scale = 1 / np.sqrt(2 * k)
    W1 = rng.standard_normal((2 * k, n_features_1)) * scale
    W2 = rng.standard_normal((2 * k, n_features_2)) * scale
    directions = rng.standard_normal((2 * len(kinds), k))
    z1, z2, zc = (rng.standard_normal((n_samples, k)) for _ in range(3))
    latents = {"redundancy": (zc,), "unique_1": (z1,), "unique_2": (z2,)}
    y = np.zeros(n_samples, dtype=np.int64)
    for t, kind in enumerate(kinds):
        a, b = directions[2 * t], directions[2 * t + 1]
        if kind == "synergy":
            bit = (z1 @ a > 0) ^ (z2 @ b > 0)
        else:
            bit = latents[kind][0] @ a > 0
        y = 2 * y + bit.astype(np.int64)
    X1 = np.hstack([z1, zc]) @ W1
    X2 = np.hstack([z2, zc]) @ W2
    if noise > 0:
        X1 = X1 + noise * rng.standard_normal(X1.shape)
        X2 = X2 + noise * rng.standard_normal(X2.shape)
    return np.hstack([X1, X2]), y


_DIGITS_DESCR = """\
Digits halves
-------------
scikit-learn's optical recognition of handwritten digits (8x8 images, 1797
samples, 10 classes) with two modalities: the top half of each image (rows
0-3, columns top_0..top_31) and the bottom half (rows 4-7, columns
bottom_0..bottom_31). Pass modalities=32.

"""
