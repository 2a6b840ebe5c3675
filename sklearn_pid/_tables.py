"""Discrete joint tables ``p[x1, x2, y]``: their exact BROJA decomposition,
smoothed posterior, pointwise BROJA atoms and the plug-in bias of ``I(X1,X2;Y)``.

Each table gets one extra row and column (index ``-1``) for states never seen
in fit, so that new data can be looked up without a special case.
"""

import numpy as np
import pandas as pd
from scipy import sparse

from ._base import ATOMS
from ._broja import solve_broja
from ._information import broja_atoms, pid_from_tables
from ._validation import warn

#: Solver tolerance: atoms in (-NEGATIVE_TOLERANCE, 0) are rounded to 0.
NEGATIVE_TOLERANCE = 1e-7


def broja_decomposition(p, *, base=2, solver="auto", solver_options=None):
    """Exact BROJA decomposition of a known joint distribution ``p[x1, x2, y]``.

    The table-level counterpart of :class:`~sklearn_pid.PIDCVX` (which builds the table
    from samples), for distributions given exactly.

    Parameters
    ----------
    p : array-like of shape (n_1, n_2, n_y) or 3-D scipy.sparse.coo_array
        Non-negative joint probabilities (or counts), normalised here. A
        sparse table is solved on its support, so large alphabets whose
        marginals are sparse (most ``p(x1, y)`` and ``p(x2, y)`` zero, as in
        a copy of the sources into the label) cost what their non-zero
        entries cost, not ``n_1 n_2 n_y``.
    base : float, default=2
        Logarithm base of the result (2: bits).
    solver, solver_options
        As in :class:`~sklearn_pid.PIDCVX`.

    Returns
    -------
    pandas.Series
        ``redundancy``, ``unique_1``, ``unique_2``, ``synergy``, ``mi_1``,
        ``mi_2``, ``mi_joint``, in ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_pid import broja_decomposition
    >>> p = np.zeros((2, 2, 2))
    >>> for a in (0, 1):
    ...     for b in (0, 1):
    ...         p[a, b, a & b] = 0.25
    >>> atoms = ["redundancy", "unique_1", "unique_2", "synergy"]
    >>> broja_decomposition(p)[atoms].round(4)
    redundancy    0.3113
    unique_1      0.0000
    unique_2      0.0000
    synergy       0.5000
    dtype: float64
    """
    if sparse.issparse(p):
        p = sparse.coo_array(p, dtype=float)
        data = p.data
    else:
        p = np.asarray(p, dtype=float)
        data = p
    if (
        p.ndim != 3
        or not np.all(np.isfinite(data))
        or np.any(data < 0)
        or data.sum() <= 0
    ):
        raise ValueError(
            "p must be a 3-D array p[x1, x2, y] of finite non-negative numbers "
            "with a positive sum."
        )
    p = p / data.sum()
    solution = solve_broja(p, solver, solver_options)
    values = round_tolerance(pid_from_tables(p, solution.q, base))
    return pd.Series(values, dtype=float)


def round_tolerance(values):
    """Atoms in (-NEGATIVE_TOLERANCE, 0) become 0; more negative ones warn."""
    out = dict(values)
    for name in ATOMS:
        v = out[name]
        if -NEGATIVE_TOLERANCE < v < 0:
            out[name] = 0.0
        elif v <= -NEGATIVE_TOLERANCE:
            warn(
                f"{name} = {v:.3g} is negative beyond the solver tolerance; this "
                "indicates a solver failure. Please report it.",
                RuntimeWarning,
            )
    return out


def smoothed_posterior(counts, alpha):
    """Smoothed posterior ``p(y | x1, x2)`` of a count table.

    Each cell gets ``alpha`` pseudo-counts spread by the back-off
    ``p(y|x1) p(y|x2) / p(y)`` (each factor itself smoothed towards the
    class prior), so that rare cells lean on what each modality says alone.

    Parameters
    ----------
    counts : ndarray of shape (n_1, n_2, n_classes)
        (Weighted) counts of the fitting samples.
    alpha : float
        Pseudo-counts per cell.

    Returns
    -------
    ndarray of shape (n_1 + 1, n_2 + 1, n_classes)
        Rows sum to 1; the last row and column are unseen states.
    """
    prior = counts.sum(axis=(0, 1)) / counts.sum()
    post1 = _smoothed(counts.sum(axis=1), prior, alpha)
    post2 = _smoothed(counts.sum(axis=0), prior, alpha)
    backoff = post1[:, None, :] * post2[None, :, :] / prior
    total = backoff.sum(axis=2, keepdims=True)
    # states seen with disjoint labels (possible with alpha=0): use the prior
    backoff = np.where(total > 0, backoff / np.where(total > 0, total, 1), prior)
    padded = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1, counts.shape[2]))
    padded[:-1, :-1] = counts
    n12 = padded.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = (padded + alpha * backoff) / (n12 + alpha)
    return np.where(n12 > 0, post, backoff)


def pointwise_table(p, q):
    """Pointwise BROJA atoms of every ``(x1, x2, y)`` cell, in nats.

    ``i1 = log p(y|x1)/p(y)``, ``i2``, ``i12`` likewise, and ``iq`` the
    average of the anchored terms ``E_q[log q(y|X1,X2)/p(y) | x1, y]`` and
    ``E_q[... | x2, y]``; the atoms are :func:`~._information.broja_atoms`.
    A term whose state or state-label pair never occurred is 0 (no
    information is attributed to it), and for an unseen state ``iq`` uses the
    other modality's anchor alone.

    Parameters
    ----------
    p : ndarray of shape (n_1, n_2, n_classes)
        Joint table of the data.
    q : ndarray of shape (n_1, n_2, n_classes)
        Optimal table of the BROJA problem for ``p``.

    Returns
    -------
    ndarray of shape (n_1 + 1, n_2 + 1, n_classes, 4)
        ``redundancy, unique_1, unique_2, synergy`` per cell; the last row and
        column are unseen states.
    """
    prior = p.sum(axis=(0, 1))
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    lq = _log_ratio(q, q.sum(axis=2, keepdims=True) * prior)
    i1 = _pad(_log_ratio(p1, p1.sum(axis=1, keepdims=True) * prior)[:, None], (0,))
    i2 = _pad(_log_ratio(p2, p2.sum(axis=1, keepdims=True) * prior)[None], (1,))
    i12 = _pad(_log_ratio(p, p.sum(axis=2, keepdims=True) * prior), (0, 1))
    a1 = _pad(_safe_div((q * lq).sum(axis=1), p1)[:, None], (0,))
    a2 = _pad(_safe_div((q * lq).sum(axis=0), p2)[None], (1,))
    # average the anchors that exist (both, for every fitted sample)
    m1 = _pad((p1 > 0)[:, None].astype(float), (0,))
    m2 = _pad((p2 > 0)[None].astype(float), (1,))
    iq = _safe_div(a1 * m1 + a2 * m2, np.broadcast_to(m1 + m2, i12.shape))
    return broja_atoms(i1, i2, i12, iq)


def plugin_bias(counts):
    """Expected plug-in ``I(X1,X2;Y)`` under independence, in nats.

    ``2 N I`` (nats) is chi-square with ``(K_12 - 1)(K_y - 1)`` degrees of
    freedom when X and Y are independent, so the plug-in estimate is biased up
    by about ``(K_12 - 1)(K_y - 1) / (2 N)``; ``K`` counts occupied cells and
    ``N`` is the total (frequency) weight.

    Parameters
    ----------
    counts : ndarray of shape (n_1, n_2, n_classes)

    Returns
    -------
    float
    """
    k_12 = np.count_nonzero(counts.sum(axis=2))
    k_y = np.count_nonzero(counts.sum(axis=(0, 1)))
    return (k_12 - 1) * (k_y - 1) / (2 * counts.sum())


def _pad(a, axes):
    """Append a zero slice at the end of each axis in ``axes`` (unseen states)."""
    out = np.zeros([n + (ax in axes) for ax, n in enumerate(a.shape)], a.dtype)
    out[tuple(slice(0, n) for n in a.shape)] = a  # np.pad: 10x the overhead
    return out


def _log_ratio(num, den):
    """``log(num / den)`` where ``num > 0``, else 0."""
    out = np.zeros(np.broadcast_shapes(np.shape(num), np.shape(den)))
    num = np.broadcast_to(num, out.shape)
    den = np.broadcast_to(den, out.shape)
    mask = num > 0
    out[mask] = np.log(num[mask] / den[mask])
    return out


def _safe_div(num, den):
    """``num / den`` where ``den > 0``, else 0."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _smoothed(counts, prior, alpha):
    """``(counts + alpha prior) / (n + alpha)`` per row, plus a prior row."""
    n = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = np.where(n > 0, (counts + alpha * prior) / (n + alpha), prior)
    return np.vstack([post, prior])
