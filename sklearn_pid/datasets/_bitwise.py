"""Logic gates of two bits: :func:`make_bitwise` and :func:`make_boolean_mixture`."""

import numpy as np
from sklearn.utils import check_random_state

from ._checks import check_positive_int, normalise_weights
from ._encoding import check_encoding, encode
from ._gates import BITWISE_GATES, BOOLEAN_GATES, GATES

#: The boolean mixtures of the DMI paper, by name.
BOOLEAN_MIXTURES = {
    "and+xor": {"and": 0.5, "xor": 0.5},
    "or+xor": {"or": 0.5, "xor": 0.5},
    "and+or+xor": {"and": 1 / 3, "or": 1 / 3, "xor": 1 / 3},
}


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
    if gate not in GATES:
        raise ValueError(
            f"Unknown gate {gate!r}; choose one of {', '.join(BITWISE_GATES)}."
        )
    check_positive_int("n_samples", n_samples)
    rng = check_random_state(random_state)
    bits = rng.randint(2, size=(n_samples, 2)).astype(np.int64)
    if gate == "redundant":
        bits[:, 1] = bits[:, 0]
    y = GATES[gate](bits[:, 0], bits[:, 1])
    if one_hot:
        X = np.column_stack(
            [bits[:, 0] == 0, bits[:, 0] == 1, bits[:, 1] == 0, bits[:, 1] == 1]
        ).astype(np.int64)
    else:
        X = bits
    return X, y


def boolean_weights(mixture):
    """The gate weights, summing to 1, of a mixture name or mapping."""
    return normalise_weights(mixture, BOOLEAN_GATES, "gates", BOOLEAN_MIXTURES)


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
    weights = boolean_weights(mixture)
    check_encoding(n_samples, n_informative, n_noise, noise)
    rng = check_random_state(random_state)
    names = list(weights)
    gate = rng.choice(len(names), size=n_samples, p=list(weights.values()))
    bits = rng.randint(2, size=(n_samples, 2))
    y = np.zeros(n_samples, dtype=np.int64)
    for k, name in enumerate(names):
        rows = gate == k
        y[rows] = GATES[name](bits[rows, 0], bits[rows, 1])
    codes = np.eye(len(names))[gate] if reveal_gate else None
    X = encode(bits.T, codes, noise, n_informative, n_noise, network_seed, rng)
    return X, y
