"""Fixed random networks that map latent bits into the input columns."""

import numpy as np

from ._checks import check_noise, check_positive_int

#: Hidden width of the fixed random encoding networks.
_NETWORK_HIDDEN = 32


def check_encoding(n_samples, n_informative, n_noise, noise):
    """Check the size and noise arguments of the encoded mixtures."""
    check_positive_int("n_samples", n_samples)
    check_positive_int("n_informative", n_informative)
    check_positive_int("n_noise", n_noise, minimum=0)
    check_noise(noise)


def _random_network(n_in, n_out, rng):
    """Weights of a fixed two-layer tanh network ``R^n_in -> R^n_out``."""
    w1 = rng.standard_normal((n_in, _NETWORK_HIDDEN)) / np.sqrt(n_in)
    b1 = 0.1 * rng.standard_normal(_NETWORK_HIDDEN)
    w2 = rng.standard_normal((_NETWORK_HIDDEN, n_out)) / np.sqrt(_NETWORK_HIDDEN)
    return w1, b1, w2


def encode(bits, codes, noise, n_informative, n_noise, network_seed, rng):
    """Map each modality's latent ``[signal, code]`` into input columns.

    The signal of bit ``a_m`` is ``2 a_m - 1 + noise * N(0, 1)``. Returns
    ``X`` with ``[f_1(latent_1), noise, f_2(latent_2), noise]``.
    """
    signals = [2.0 * a - 1.0 + noise * rng.standard_normal(a.shape[0]) for a in bits]
    net_rng = np.random.RandomState(network_seed)
    blocks = []
    for signal in signals:
        latent = np.column_stack([signal, codes]) if codes is not None else signal
        latent = latent.reshape(signal.shape[0], -1)
        w1, b1, w2 = _random_network(latent.shape[1], n_informative, net_rng)
        informative = np.tanh(latent @ w1 + b1) @ w2
        blocks += [informative, rng.standard_normal((signal.shape[0], n_noise))]
    return np.hstack(blocks)
