"""Tests of sklearn_pid.datasets: shapes, dtypes, seeds, truth tables, GMM moments,
the mixtures and latent modalities, and the exact references."""

import itertools

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.utils import Bunch

from sklearn_pid import broja_decomposition
from sklearn_pid.datasets import (
    BITWISE_GATES,
    BOOLEAN_GATES,
    BOOLEAN_MIXTURES,
    INTERACTION_MIXTURES,
    boolean_mixture_table,
    gaussian_modalities_pointwise,
    load_digits_halves,
    make_bitwise,
    make_boolean_mixture,
    make_gaussian_mixture,
    make_gaussian_modalities,
    make_interaction_mixture,
    make_latent_modalities,
)
from sklearn_pid.datasets._gates import GATES

N = 20000

#: y for the inputs (x1, x2) = (0, 0), (0, 1), (1, 0), (1, 1).
TRUTH_TABLES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xnor": (1, 0, 0, 1),
    "copy": (0, 1, 2, 3),
    "sum": (0, 1, 1, 2),
    "unique_1": (0, 0, 1, 1),
    "unique_2": (0, 1, 0, 1),
    "redundant": (0, 0, 1, 1),
}


def within_5_se(mean, expected, sd, n):
    """Is a sample mean within 5 standard errors ``sd / sqrt(n)`` of its expectation?

    A 5-sigma deviation has probability below 1e-6 per check, so the tests
    are not flaky, while a wrong distribution fails at these sample sizes.
    """
    return abs(mean - expected) <= 5 * sd / np.sqrt(n)


# ---------------------------------------------------------------- make_bitwise


def test_gates_constant_matches_truth_tables():
    assert set(BITWISE_GATES) == set(TRUTH_TABLES)


def test_one_gate_table_for_bitwise_data_and_boolean_mixtures():
    """make_bitwise's labels and boolean_mixture_table's entries both come
    from the one table GATES, which holds the truth tables above."""
    for name, gate in GATES.items():
        for a, b in itertools.product((0, 1), (0, 1)):
            assert gate(a, b) == TRUTH_TABLES[name][2 * a + b], (name, a, b)
    assert BITWISE_GATES == tuple(GATES)
    for name in BITWISE_GATES:
        X, y = make_bitwise(name, n_samples=200, random_state=0)
        np.testing.assert_array_equal(y, GATES[name](X[:, 0], X[:, 1]))
    assert set(BOOLEAN_GATES) < set(GATES)
    for name, gate in BOOLEAN_GATES.items():
        assert gate is GATES[name]
        p = boolean_mixture_table({name: 1.0}, reveal_gate=False)
        expected = np.zeros((2, 2, 2))
        for a, b in itertools.product((0, 1), (0, 1)):
            expected[a, b, GATES[name](a, b)] = 0.25
        np.testing.assert_array_equal(p, expected)


@pytest.mark.parametrize("gate", BITWISE_GATES)
def test_bitwise_shapes_dtypes_and_truth_table(gate):
    X, y = make_bitwise(gate, n_samples=N, random_state=0)
    assert X.shape == (N, 2) and y.shape == (N,)
    assert X.dtype == np.int64 and y.dtype == np.int64
    assert set(np.unique(X).tolist()) == {0, 1}
    expected = np.asarray(TRUTH_TABLES[gate])[2 * X[:, 0] + X[:, 1]]
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("gate", sorted(set(BITWISE_GATES) - {"redundant"}))
def test_bitwise_bits_are_independent_fair_coins(gate):
    X, _ = make_bitwise(gate, n_samples=N, random_state=1)
    cells = np.bincount(2 * X[:, 0] + X[:, 1], minlength=4) / N
    # Each of the four cells has probability 1/4, sd sqrt(3/16) per sample.
    for frequency in cells:
        assert within_5_se(frequency, 0.25, np.sqrt(3 / 16), N)


def test_redundant_gate_copies_the_bit():
    X, y = make_bitwise("redundant", n_samples=N, random_state=0)
    np.testing.assert_array_equal(X[:, 1], X[:, 0])
    np.testing.assert_array_equal(y, X[:, 0])
    assert within_5_se(X[:, 0].mean(), 0.5, 0.5, N)


@pytest.mark.parametrize(("gate", "p_one"), [("and", 0.25), ("or", 0.75), ("xor", 0.5)])
def test_bitwise_label_balance(gate, p_one):
    _, y = make_bitwise(gate, n_samples=N, random_state=2)
    assert within_5_se(y.mean(), p_one, np.sqrt(p_one * (1 - p_one)), N)


@pytest.mark.parametrize("gate", BITWISE_GATES)
def test_bitwise_one_hot_encodes_the_same_bits(gate):
    X, y = make_bitwise(gate, n_samples=500, random_state=3)
    X_hot, y_hot = make_bitwise(gate, n_samples=500, one_hot=True, random_state=3)
    assert X_hot.shape == (500, 4) and X_hot.dtype == np.int64
    np.testing.assert_array_equal(y_hot, y)
    np.testing.assert_array_equal(X_hot[:, [1, 3]], X)
    np.testing.assert_array_equal(X_hot[:, [0, 2]], 1 - X)


def test_bitwise_seeds_are_reproducible():
    a = make_bitwise("xor", n_samples=100, random_state=7)
    b = make_bitwise("xor", n_samples=100, random_state=np.random.RandomState(7))
    c = make_bitwise("xor", n_samples=100, random_state=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_bitwise_unknown_gate_lists_the_gates():
    with pytest.raises(ValueError, match="Unknown gate 'nxor'") as info:
        make_bitwise("nxor")
    for gate in BITWISE_GATES:
        assert gate in str(info.value)


@pytest.mark.parametrize("n_samples", [0, -3, 2.5, True, "10"])
def test_bitwise_bad_n_samples(n_samples):
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        make_bitwise("and", n_samples=n_samples)


# ------------------------------------------------------- make_gaussian_mixture


def test_gmm_shapes_dtypes_and_labels():
    X, y = make_gaussian_mixture(n_samples=N, random_state=0)
    assert X.shape == (N, 2) and y.shape == (N,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    assert within_5_se(y.mean(), 0.5, 0.5, N)


@pytest.mark.parametrize(("norm", "angle"), [(2.0, np.pi / 4), (1.0, 0.0), (3.0, 2.0)])
def test_gmm_class_conditional_moments(norm, angle):
    X, y = make_gaussian_mixture(n_samples=N, norm=norm, angle=angle, random_state=1)
    mu = norm * np.array([np.cos(angle), np.sin(angle)])
    for label, sign in ((1, 1), (0, -1)):
        Xc = X[y == label]
        # Unit variance per coordinate: the standard error of a mean is 1/sqrt(n_c).
        for j in range(2):
            assert within_5_se(Xc[:, j].mean(), sign * mu[j], 1.0, len(Xc))
        # Identity covariance: each variance is 1 with standard error sqrt(2/n_c),
        # the covariance 0 with standard error 1/sqrt(n_c).
        cov = np.cov(Xc.T)
        assert within_5_se(cov[0, 0], 1.0, np.sqrt(2), len(Xc))
        assert within_5_se(cov[1, 1], 1.0, np.sqrt(2), len(Xc))
        assert within_5_se(cov[0, 1], 0.0, 1.0, len(Xc))


def test_gmm_polar_round_trips_to_cartesian():
    X, y = make_gaussian_mixture(n_samples=1000, angle=1.0, random_state=4)
    P, y_polar = make_gaussian_mixture(
        n_samples=1000, angle=1.0, coordinates="polar", random_state=4
    )
    np.testing.assert_array_equal(y_polar, y)
    r, theta = P.T
    assert (r >= 0).all()
    assert ((theta >= -np.pi) & (theta <= np.pi)).all()
    np.testing.assert_allclose(r * np.cos(theta), X[:, 0], atol=1e-12)
    np.testing.assert_allclose(r * np.sin(theta), X[:, 1], atol=1e-12)


def test_gmm_seeds_are_reproducible():
    a = make_gaussian_mixture(n_samples=50, random_state=5)
    b = make_gaussian_mixture(n_samples=50, random_state=5)
    c = make_gaussian_mixture(n_samples=50, random_state=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"norm": -1.0}, "norm must be >= 0"),
        ({"norm": np.nan}, "norm must be a finite real number"),
        ({"angle": np.inf}, "angle must be a finite real number"),
        ({"angle": "45"}, "angle must be a finite real number"),
        ({"coordinates": "spherical"}, "coordinates must be one of cartesian, polar"),
    ],
)
def test_gmm_bad_params(params, message):
    with pytest.raises(ValueError, match=message):
        make_gaussian_mixture(**params)


# --------------------------------------------------------- load_digits_halves


def test_digits_halves_are_the_image_halves():
    digits = load_digits()
    X, y = load_digits_halves()
    n = len(digits.target)
    assert X.shape == (n, 64) and y.shape == (n,)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, digits.data)
    np.testing.assert_array_equal(y, digits.target)
    np.testing.assert_array_equal(X[:, :32], digits.images[:, :4].reshape(n, 32))
    np.testing.assert_array_equal(X[:, 32:], digits.images[:, 4:].reshape(n, 32))


def test_digits_halves_as_frame():
    X, y = load_digits_halves(as_frame=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    expected = [f"top_{k}" for k in range(32)] + [f"bottom_{k}" for k in range(32)]
    assert X.columns.tolist() == expected
    assert y.name == "digit"
    np.testing.assert_array_equal(X.to_numpy(), load_digits().data)
    # Pixel k of a half sits at row k // 8, column k % 8 of that half.
    images = load_digits().images
    np.testing.assert_array_equal(X["bottom_11"], images[:, 4 + 1, 3])


@pytest.mark.parametrize("as_frame", [False, True])
def test_digits_halves_bunch(as_frame):
    bunch = load_digits_halves(return_X_y=False, as_frame=as_frame)
    assert isinstance(bunch, Bunch)
    assert bunch.modalities == 32
    assert bunch.data.shape == (1797, 64)
    assert len(bunch.feature_names) == 64
    assert bunch.feature_names[31] == "top_31" and bunch.feature_names[32] == "bottom_0"
    assert "modalities=32" in bunch.DESCR
    assert list(bunch.target_names) == list(range(10))
    if as_frame:
        assert bunch.frame.shape == (1797, 65)
        assert bunch.frame.columns[-1] == "digit"
    else:
        assert bunch.frame is None


# --------------------- make_gaussian_modalities, gaussian_modalities_pointwise


def test_gaussian_modalities_shapes_and_law():
    X, y = make_gaussian_modalities(
        20000, n_classes=3, rho=0.6, noise=0.5, random_state=0
    )
    assert X.shape == (20000, 6) and set(np.unique(y)) == {0, 1, 2}
    residual = X - np.hstack([np.eye(3)[y], np.eye(3)[y]])
    cov = np.cov(residual.T)
    # Each view's noise has variance 0.25; the views' noise correlation is rho.
    np.testing.assert_allclose(np.diag(cov), 0.25, rtol=0.05)
    np.testing.assert_allclose(np.diag(cov, 3), 0.6 * 0.25, rtol=0.05)
    again, _ = make_gaussian_modalities(20000, n_classes=3, rho=0.6, random_state=0)
    np.testing.assert_array_equal(X, again)


@pytest.mark.parametrize(
    "kwargs", [{"n_classes": 1}, {"rho": 1.0}, {"rho": -1.0}, {"noise": 0.0}]
)
def test_gaussian_modalities_bad_parameters(kwargs):
    with pytest.raises(ValueError):
        make_gaussian_modalities(10, **kwargs)


def test_gaussian_pointwise_terms_are_normalised_densities():
    """exp(-h) integrates to 1 and exp(i) p(y) sums to 1 over the labels."""
    grid = np.linspace(-3, 4, 281)
    a, b = np.meshgrid(grid, grid, indexing="ij")
    x1 = np.column_stack([a.ravel(), b.ravel()])
    X = np.hstack([x1, x1])  # x2 is irrelevant for h_1 and i_1
    step = (grid[1] - grid[0]) ** 2
    values = gaussian_modalities_pointwise(X, np.zeros(len(X), int), base=np.e)
    assert np.exp(-values.h_1).sum() * step == pytest.approx(1.0, abs=1e-4)
    total = sum(
        np.exp(gaussian_modalities_pointwise(X[:50], np.full(50, c), base=np.e).i_1) / 2
        for c in (0, 1)
    )
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_gaussian_pointwise_identities_and_base():
    X, y = make_gaussian_modalities(500, n_classes=4, rho=0.3, random_state=1)
    nats = gaussian_modalities_pointwise(X, y, n_classes=4, rho=0.3, base=np.e)
    bits = gaussian_modalities_pointwise(X, y, n_classes=4, rho=0.3)
    np.testing.assert_allclose(bits * np.log(2), nats)
    np.testing.assert_allclose(nats[ATOMS].sum(axis=1), nats.i_joint, atol=1e-12)
    # With independent noise (rho=0) the views are independent given y, so
    # p(y|x1,x2) is proportional to p(y) exp(i_1 + i_2) (Bayes' rule).
    X0, y0 = make_gaussian_modalities(500, rho=0.0, random_state=2)
    per_class = [
        gaussian_modalities_pointwise(X0, np.full(500, c), rho=0.0, base=np.e)
        for c in (0, 1)
    ]
    log_norm = np.logaddexp(*[np.log(0.5) + v.i_1 + v.i_2 for v in per_class])
    for v in per_class:
        np.testing.assert_allclose(v.i_joint, v.i_1 + v.i_2 - log_norm, atol=1e-10)
    with pytest.raises(ValueError, match="shape"):
        gaussian_modalities_pointwise(X[:, :3], y)


# ---------------------------------------------------- make_interaction_mixture


def test_interaction_mixture_generator():
    X, y, types = make_interaction_mixture(
        {"redundancy": 1, "uniqueness": 2, "synergy": 1},
        n_samples=4000,
        n_informative=3,
        n_noise=2,
        random_state=0,
    )
    assert X.shape == (4000, 10) and y.dtype == np.int64
    freq = pd.Series(types).value_counts(normalize=True)
    expected = {"redundancy": 0.25, "unique_1": 0.25, "unique_2": 0.25, "synergy": 0.25}
    for name, share in expected.items():
        assert abs(freq[name] - share) < 0.03
    again = make_interaction_mixture(
        {"redundancy": 1, "uniqueness": 2, "synergy": 1},
        n_samples=4000,
        n_informative=3,
        n_noise=2,
        random_state=0,
    )
    np.testing.assert_array_equal(X, again[0])
    assert set(INTERACTION_MIXTURES) == {"R", "U", "S", "R+S", "U+3R", "U+S", "R+U+S"}
    for bad in ("Q", {"redundant": 1}, {"synergy": -1}, {"synergy": 0}):
        with pytest.raises(ValueError):
            make_interaction_mixture(bad, n_samples=10)
    with pytest.raises(ValueError, match="noise"):
        make_interaction_mixture("R", n_samples=10, noise=-1)


def test_interaction_mixture_network_is_fixed_by_network_seed():
    """Noise-free redundant samples with the same bit map to the same point,
    whatever the sample seed: the encoding network depends on network_seed
    only."""
    kwargs = {"n_samples": 50, "n_noise": 0, "noise": 0.0}
    Xa, ya, _ = make_interaction_mixture("R", random_state=1, **kwargs)
    Xb, yb, _ = make_interaction_mixture("R", random_state=2, **kwargs)
    np.testing.assert_allclose(Xa[ya == 1][0], Xb[yb == 1][0])
    Xc, yc, _ = make_interaction_mixture("R", random_state=2, network_seed=5, **kwargs)
    assert not np.allclose(Xc[yc == 1][0], Xb[yb == 1][0])


# --------------------------------- make_boolean_mixture, boolean_mixture_table


@pytest.mark.parametrize("name", list(BOOLEAN_MIXTURES))
def test_boolean_mixture_table_matches_samples(name):
    p = boolean_mixture_table(name)
    assert p.sum() == pytest.approx(1.0)
    X, y = make_boolean_mixture(name, n_samples=20000, noise=0.0, random_state=0)
    # y = gate(b1, b2): check the class balance against the table.
    assert np.mean(y) == pytest.approx(p[..., 1].sum(), abs=0.015)
    exact = broja_decomposition(p)
    assert exact["unique_1"] == pytest.approx(0, abs=1e-6)
    assert exact["unique_2"] == pytest.approx(0, abs=1e-6)


def test_boolean_mixture_exact_values():
    exact = broja_decomposition(boolean_mixture_table("and+xor"))
    assert exact["redundancy"] == pytest.approx(0.2044, abs=1e-4)
    assert exact["synergy"] == pytest.approx(0.75, abs=1e-4)
    hidden = broja_decomposition(boolean_mixture_table("and+xor", reveal_gate=False))
    assert hidden["redundancy"] == pytest.approx(0.0488, abs=1e-4)
    assert hidden["synergy"] == pytest.approx(0.1556, abs=1e-4)
    assert boolean_mixture_table("and+xor", reveal_gate=False).shape == (2, 2, 2)
    with pytest.raises(ValueError, match="gates"):
        boolean_mixture_table({"copy": 1})


# ------------------------------------------------------ make_latent_modalities


def test_make_latent_modalities_shapes_and_labels():
    X, y = make_latent_modalities(
        ("redundancy", "synergy"), 500, n_features_1=6, n_features_2=9, random_state=0
    )
    assert X.shape == (500, 15) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2, 3}
    X2, y2 = make_latent_modalities(
        ("redundancy", "synergy"), 500, n_features_1=6, n_features_2=9, random_state=0
    )
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError, match="interaction"):
        make_latent_modalities("nothing")
    with pytest.raises(ValueError, match="once"):
        make_latent_modalities(("synergy", "synergy"))
    with pytest.raises(ValueError, match="noise"):
        make_latent_modalities(noise=-1)


def test_make_latent_modalities_labels_follow_the_design():
    # a linear probe on each modality recovers exactly the bits it should see
    for kind, seen in [
        ("redundancy", (1, 1)),
        ("unique_1", (1, 0)),
        ("unique_2", (0, 1)),
        ("synergy", (0, 0)),
    ]:
        X, y = make_latent_modalities(kind, 3000, random_state=1)
        for k, cols in enumerate((slice(0, 20), slice(20, 40))):
            acc = LogisticRegression(C=100, max_iter=2000).fit(X[:, cols], y)
            assert (acc.score(X[:, cols], y) > 0.97) == bool(seen[k]), (kind, k)
