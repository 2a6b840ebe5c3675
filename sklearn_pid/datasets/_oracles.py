"""Exact references of the generators: the values estimators should find."""

import numpy as np
import pandas as pd
from scipy import special

from .._base import ATOMS, LSMI_TERMS
from .._information import lsmi_atoms
from ._bitwise import boolean_weights
from ._gates import GATES
from ._gaussian import check_gaussian_modalities


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
    check_gaussian_modalities(n_classes, rho, noise)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 * n_classes or y.shape != (X.shape[0],):
        raise ValueError(
            f"X must have shape (n_samples, {2 * n_classes}) and y (n_samples,)."
        )
    rows = np.arange(X.shape[0])
    terms = {}
    log_conds = _log_likelihoods(X, n_classes, rho, noise)
    for name, log_cond in zip(("1", "2", "joint"), log_conds):
        log_marginal = special.logsumexp(log_cond, axis=1) - np.log(n_classes)
        terms["i_" + name] = log_cond[rows, y] - log_marginal
        if name != "joint":
            terms["h_" + name] = -log_marginal
    atoms = lsmi_atoms(
        terms["h_1"], terms["h_2"], terms["i_1"], terms["i_2"], terms["i_joint"]
    )
    frame = pd.DataFrame(dict(zip(ATOMS, atoms)) | terms)
    return frame[list(ATOMS) + list(LSMI_TERMS)] / np.log(base)


def _log_likelihoods(X, n_classes, rho, noise):
    """``log p(x1 | c)``, ``log p(x2 | c)``, ``log p(x1, x2 | c)``, each (n, K)."""
    K = n_classes
    d1 = X[:, None, :K] - np.eye(K)  # (n, K classes, K dims): x1 - e_c
    d2 = X[:, None, K:] - np.eye(K)
    var = noise**2
    log_x1 = -0.5 * (d1**2).sum(-1) / var - 0.5 * K * np.log(2 * np.pi * var)
    log_x2 = -0.5 * (d2**2).sum(-1) / var - 0.5 * K * np.log(2 * np.pi * var)
    det = 1 - rho**2
    quad = (d1**2 - 2 * rho * d1 * d2 + d2**2).sum(-1) / (var * det)
    log_x12 = -0.5 * quad - K * np.log(2 * np.pi * var * np.sqrt(det))
    return log_x1, log_x2, log_x12


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
    weights = boolean_weights(mixture)
    n_states = 2 * len(weights) if reveal_gate else 2
    p = np.zeros((n_states, n_states, 2))
    for k, (name, w) in enumerate(weights.items()):
        shift = 2 * k if reveal_gate else 0
        for a in (0, 1):
            for b in (0, 1):
                p[a + shift, b + shift, GATES[name](a, b)] += w / 4
    return p
