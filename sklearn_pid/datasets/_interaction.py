"""Samples that each carry one interaction type: the DMI paper's mixtures."""

import numpy as np
from sklearn.utils import check_random_state

from .._base import ATOMS
from ._checks import normalise_weights
from ._encoding import check_encoding, encode

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


def _type_probabilities(proportions):
    """Probability of each of :data:`INTERACTION_TYPES`, from a name or mapping."""
    allowed = (*INTERACTION_TYPES, "uniqueness")
    weights = normalise_weights(
        proportions, allowed, "interaction types", INTERACTION_MIXTURES
    )
    split = weights.pop("uniqueness", 0.0)
    for name in ("unique_1", "unique_2"):
        weights[name] = weights.get(name, 0.0) + split / 2
    p = np.array([weights.get(name, 0.0) for name in INTERACTION_TYPES])
    return p / p.sum()


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
    p = _type_probabilities(proportions)
    check_encoding(n_samples, n_informative, n_noise, noise)
    rng = check_random_state(random_state)
    kind = rng.choice(len(INTERACTION_TYPES), size=n_samples, p=p)
    y = rng.randint(2, size=n_samples).astype(np.int64)
    coin = rng.randint(2, size=n_samples)
    a1 = np.where((kind == 0) | (kind == 1), y, coin)
    a2 = np.select([kind == 0, kind == 2, kind == 3], [y, y, y ^ coin], coin)
    codes = np.eye(len(INTERACTION_TYPES))[kind] if reveal_type else None
    X = encode((a1, a2), codes, noise, n_informative, n_noise, network_seed, rng)
    types = np.asarray(INTERACTION_TYPES, dtype=object)[kind]
    return X, y, types
