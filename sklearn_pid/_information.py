"""Exact information quantities of discrete joint probability tables.

All functions take probability tables (non-negative arrays that sum to one;
they are not renormalised) and return values in the unit given by ``base``
(2: bits, ``math.e``: nats). Zero-probability cells contribute nothing
(``0 log 0 = 0``).
"""

import numpy as np
from scipy import sparse
from scipy.special import rel_entr


def _log_base(base):
    if base is None or base <= 0 or base == 1:
        raise ValueError(f"base must be positive and different from 1, got {base!r}.")
    return np.log(base)


def entropy(p, base=2):
    """Shannon entropy of a probability table, H(P).

    Parameters
    ----------
    p : array-like
        Probability table of any shape; all cells form one distribution.
    base : float, default=2
        Logarithm base of the result (2: bits).

    Returns
    -------
    float
    """
    p = np.asarray(p, dtype=float).ravel()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / _log_base(base))


def mutual_information(p_xy, base=2):
    """Mutual information I(X;Y) of a 2-D joint table ``p_xy[x, y]``.

    Parameters
    ----------
    p_xy : array-like of shape (n_x, n_y)
    base : float, default=2

    Returns
    -------
    float
    """
    p_xy = np.asarray(p_xy, dtype=float)
    if p_xy.ndim != 2:
        raise ValueError(f"p_xy must be 2-D, got shape {p_xy.shape}.")
    outer = p_xy.sum(axis=1, keepdims=True) * p_xy.sum(axis=0, keepdims=True)
    return float(rel_entr(p_xy, outer).sum() / _log_base(base))


def conditional_mutual_information(p_xyz, base=2):
    """Conditional mutual information I(X;Y|Z) of a table ``p_xyz[x, y, z]``.

    Parameters
    ----------
    p_xyz : array-like of shape (n_x, n_y, n_z)
    base : float, default=2

    Returns
    -------
    float
    """
    p = np.asarray(p_xyz, dtype=float)
    if p.ndim != 3:
        raise ValueError(f"p_xyz must be 3-D, got shape {p.shape}.")
    p_z = p.sum(axis=(0, 1), keepdims=True)
    p_xz = p.sum(axis=1, keepdims=True)
    p_yz = p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = np.where(p > 0, p_xz * p_yz / np.where(p_z > 0, p_z, 1.0), 1.0)
    return float(rel_entr(p, ref).sum() / _log_base(base))


def co_information(p, base=2):
    """Co-information I(X1;X2;Y) = I(X1;Y) + I(X2;Y) - I(X1,X2;Y).

    Parameters
    ----------
    p : array-like of shape (n_1, n_2, n_y)
        Joint table ``p[x1, x2, y]``.
    base : float, default=2

    Returns
    -------
    float
    """
    m = _mi_terms(np.asarray(p, dtype=float), base)
    return m["mi_1"] + m["mi_2"] - m["mi_joint"]


def _mi_terms(p, base):
    """I(X1;Y), I(X2;Y) and I(X1,X2;Y) of a table ``p[x1, x2, y]``."""
    if p.ndim != 3:
        raise ValueError(f"The joint table must be 3-D (x1, x2, y), got {p.shape}.")
    return {
        "mi_1": mutual_information(p.sum(axis=1), base),
        "mi_2": mutual_information(p.sum(axis=0), base),
        "mi_joint": mutual_information(p.reshape(-1, p.shape[2]), base),
    }


def _sparse_mi_terms(p, base):
    """I(X1;Y), I(X2;Y) and I(X1,X2;Y) of a sparse table, from its entries."""
    p = sparse.coo_array(p)
    if p.ndim != 3:
        raise ValueError(f"The joint table must be 3-D (x1, x2, y), got {p.shape}.")
    p.sum_duplicates()
    x1, x2, y = (c.astype(np.int64) for c in p.coords)
    w = np.asarray(p.data, dtype=float)
    return {
        "mi_1": _sparse_mi(x1, y, w, base),
        "mi_2": _sparse_mi(x2, y, w, base),
        "mi_joint": _sparse_mi(x1 * p.shape[1] + x2, y, w, base),
    }


def _sparse_mi(x, y, w, base):
    """I(X;Y) of the joint distribution given by weights ``w`` at ``(x, y)``."""
    keep = w > 0
    x, y, w = x[keep], y[keep], w[keep]  # not renormalised, as the dense path
    _, first, pair = np.unique(
        x * (int(y.max()) + 1) + y, return_index=True, return_inverse=True
    )
    p_xy = np.bincount(pair, w)
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    # the marginals of each distinct (x, y), read at its first entry
    p_x = np.bincount(xi, w)[xi[first]]
    p_y = np.bincount(yi, w)[yi[first]]
    return float(rel_entr(p_xy, p_x * p_y).sum() / _log_base(base))


def pid_from_tables(p, q, base=2):
    """Bertschinger (BROJA) PID atoms from the data table and the optimal q.

    Parameters
    ----------
    p : ndarray of shape (n_1, n_2, n_y) or 3-D scipy.sparse.coo_array
        Joint table of the data, ``p[x1, x2, y]``.
    q : ndarray of shape (n_1, n_2, n_y) or 3-D scipy.sparse.coo_array
        Optimal table of the BROJA problem: same (x1, y) and (x2, y) marginals
        as ``p`` and the largest H(Y | X1, X2). Sparse tables are summed over
        their stored entries only.
    base : float, default=2

    Returns
    -------
    dict
        ``redundancy``, ``unique_1``, ``unique_2``, ``synergy``, ``mi_1``,
        ``mi_2``, ``mi_joint`` (I(X1;Y), I(X2;Y), I(X1,X2;Y) under ``p``).
        ``U1 = I_q(X1;Y|X2) = I_q(X1,X2;Y) - I(X2;Y)``,
        ``U2 = I_q(X1,X2;Y) - I(X1;Y)``, ``R = I(X1;Y) - U1`` and
        ``S = I_p(X1,X2;Y) - I_q(X1,X2;Y)``.
    """
    if sparse.issparse(p) or sparse.issparse(q):
        terms = _sparse_mi_terms(p, base)
        mi_q = _sparse_mi_terms(q, base)["mi_joint"]
    else:
        p = np.asarray(p, dtype=float)
        q = np.asarray(q, dtype=float)
        terms = _mi_terms(p, base)
        mi_q = mutual_information(q.reshape(-1, q.shape[2]), base)
    u1 = mi_q - terms["mi_2"]
    u2 = mi_q - terms["mi_1"]
    return {
        "redundancy": terms["mi_1"] - u1,
        "unique_1": u1,
        "unique_2": u2,
        "synergy": terms["mi_joint"] - mi_q,
        **terms,
    }


def lsmi_atoms(h1, h2, i1, i2, i_joint):
    """Pointwise redundancy, uniqueness and synergy of Yang et al. (ICML 2025).

    ``r = min(h1, h2) - min(h1 - i1, h2 - i2)``, ``u1 = i1 - r``,
    ``u2 = i2 - r`` and ``s = i_joint - r - u1 - u2``, where ``h_m = -log p(x_m)``
    and ``i_m = log p(y|x_m) - log p(y)`` (so ``h_m - i_m = -log p(x_m|y)``).

    Parameters
    ----------
    h1, h2, i1, i2, i_joint : array-like
        Pointwise entropies and mutual informations, all in one unit;
        broadcast together.

    Returns
    -------
    r, u1, u2, s : ndarray
        In the unit of the inputs.
    """
    r = np.minimum(h1, h2) - np.minimum(h1 - i1, h2 - i2)
    u1 = i1 - r
    u2 = i2 - r
    return r, u1, u2, i_joint - r - u1 - u2


def broja_atoms(i1, i2, i12, iq):
    """Pointwise BROJA atoms from pointwise informations.

    With ``i_m = log p(y|x_m)/p(y)``, ``i12 = log p(y|x1,x2)/p(y)`` and ``iq``
    the pointwise ``I_q(X1,X2;Y)`` of the optimal table ``q`` (anchored on
    the sample): ``r = i1 + i2 - iq``, ``u1 = iq - i2``, ``u2 = iq - i1``,
    ``s = i12 - iq``. Their means under ``p`` are the dataset atoms, because
    ``q`` keeps the ``(x_m, y)`` marginals of ``p``.

    Parameters
    ----------
    i1, i2, i12, iq : array-like
        In one unit; broadcast together.

    Returns
    -------
    ndarray of shape (..., 4)
        ``redundancy, unique_1, unique_2, synergy`` along the last axis.
    """
    atoms = [i1 + i2 - iq, iq - i2, iq - i1, i12 - iq]
    shape = np.broadcast_shapes(*(np.shape(a) for a in atoms))
    return np.stack([np.broadcast_to(a, shape) for a in atoms], axis=-1)
