"""High-dimensional modalities from shared and private Gaussian latents."""

import numpy as np
from sklearn.utils import check_random_state

from ._checks import check_noise, check_positive_int

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
    kinds = _interactions(interaction)
    for name, value in (
        ("n_samples", n_samples),
        ("latent_dim", latent_dim),
        ("n_features_1", n_features_1),
        ("n_features_2", n_features_2),
    ):
        check_positive_int(name, value)
    check_noise(noise)
    rng = check_random_state(random_state)
    k = latent_dim
    scale = 1 / np.sqrt(2 * k)
    W1 = rng.standard_normal((2 * k, n_features_1)) * scale
    W2 = rng.standard_normal((2 * k, n_features_2)) * scale
    directions = rng.standard_normal((2 * len(kinds), k))
    z1, z2, zc = (rng.standard_normal((n_samples, k)) for _ in range(3))
    y = _labels(kinds, directions, z1, z2, zc)
    X1 = np.hstack([z1, zc]) @ W1
    X2 = np.hstack([z2, zc]) @ W2
    if noise > 0:
        X1 = X1 + noise * rng.standard_normal(X1.shape)
        X2 = X2 + noise * rng.standard_normal(X2.shape)
    return np.hstack([X1, X2]), y


def _interactions(interaction):
    """The interactions of ``interaction`` as a tuple, each at most once."""
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
    return kinds


def _labels(kinds, directions, z1, z2, zc):
    """One sign bit per interaction, read as the binary digits of ``y``."""
    latents = {"redundancy": zc, "unique_1": z1, "unique_2": z2}
    y = np.zeros(z1.shape[0], dtype=np.int64)
    for t, kind in enumerate(kinds):
        a, b = directions[2 * t], directions[2 * t + 1]
        if kind == "synergy":
            bit = (z1 @ a > 0) ^ (z2 @ b > 0)
        else:
            bit = latents[kind] @ a > 0
        y = 2 * y + bit.astype(np.int64)
    return y
