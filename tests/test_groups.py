"""Three or more modalities: pairwise and one-vs-rest decompositions (issue 13).

Exact cases are discrete distributions given as their support with
``sample_weight`` = probability, so that the fitted table is the
distribution itself: the atoms are then exact to the solver's 1e-9 nats.
"""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from test_cvx import dit_broja

from sklearn_pid import PIDCVX, DMIClassifier, LSMIEstimator, PIDBatch
from sklearn_pid._tables import broja_decomposition
from sklearn_pid.inference import bootstrap

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]
#: 1e-9 nats of certified gap: 1.5e-9 bits per atom; 1e-6 leaves room for
#: the split of a weight table into two sources.
EXACT = 1e-6


def support(outcome, n_bits=2):
    """Every assignment of ``n_bits`` uniform bits, its modalities and label.

    Returns X (one column per modality), y, and uniform weights.
    """
    rows = [outcome(bits) for bits in itertools.product(range(2), repeat=n_bits)]
    X = np.array([r[0] for r in rows], dtype=float)
    y = np.array([r[1] for r in rows])
    return X, y, np.full(len(rows), 1 / len(rows))


def exact_fit(X, y, weights, modalities):
    return PIDCVX(
        modalities=modalities,
        discretizer="discrete",
        bias_correction="none",
        random_state=0,
    ).fit(X, y, sample_weight=weights)


def by_hand(X, y, weights, cols_1, cols_2):
    """The two-source BROJA atoms of one pair from its weighted table."""

    def states(cols):
        return np.unique(X[:, cols], axis=0, return_inverse=True)[1].ravel()

    s1, s2 = states(cols_1), states(cols_2)
    _, yi = np.unique(y, return_inverse=True)
    p = np.zeros((s1.max() + 1, s2.max() + 1, yi.max() + 1))
    np.add.at(p, (s1, s2, yi), weights)
    return p / p.sum()


def row(est, a, b):
    frame = est.decompositions_.set_index(["source_1", "source_2"])
    return frame.loc[(a, b), ATOMS].to_numpy(float)


@pytest.fixture(scope="module")
def xor_and_noise():
    """x1, x2, x3 uniform bits, y = x1 XOR x2: x3 carries nothing."""
    X, y, w = support(lambda b: ((b[0], b[1], b[2]), b[0] ^ b[1]), n_bits=3)
    est = exact_fit(X, y, w, {"x1": [0], "x2": [1], "x3": [2]})
    return X, y, w, est


def test_xor_with_an_independent_modality(xor_and_noise):
    X, y, w, est = xor_and_noise
    assert list(est.decompositions_.columns) == [
        "source_1",
        "source_2",
        *ATOMS,
        "mi_1",
        "mi_2",
        "mi_joint",
    ]
    expected = {
        ("x1", "x2"): [0, 0, 0, 1],
        ("x1", "x3"): [0, 0, 0, 0],
        ("x2", "x3"): [0, 0, 0, 0],
        ("x1", "rest"): [0, 0, 0, 1],  # x1 with (x2, x3): all synergy
        ("x2", "rest"): [0, 0, 0, 1],
        ("x3", "rest"): [0, 0, 1, 0],  # x3 adds nothing: the rest's own bit
    }
    assert list(est.pair_estimators_) == list(expected)
    for (a, b), atoms in expected.items():
        assert_allclose(row(est, a, b), atoms, atol=EXACT, err_msg=f"{a},{b}")
    assert est.mi_joint_ == pytest.approx(1.0, abs=EXACT)


def test_pairs_match_the_two_source_solver_and_dit(xor_and_noise):
    X, y, w, est = xor_and_noise
    columns = dict(zip(est.modality_names_, est.modality_columns_))
    for (a, b), sub in est.pair_estimators_.items():
        cols_1, cols_2 = sub.modality_columns_
        assert_array_equal(cols_1, columns[a])
        p = by_hand(X, y, w, cols_1, cols_2)
        exact = broja_decomposition(p)[ATOMS].to_numpy(float)
        assert_allclose(row(est, a, b), exact, atol=EXACT, err_msg=f"{a},{b}")
        assert_allclose(row(est, a, b), dit_broja(p), atol=EXACT, err_msg=f"{a},{b}")


def test_a_copied_modality_is_all_redundancy():
    """y = (x1, x2) as one label, x3 = x1: (x1, x3) share all they say."""
    X, y, w = support(lambda b: ((b[0], b[1], b[0]), 2 * b[0] + b[1]))
    est = exact_fit(X, y, w, [[0], [1], [2]])
    assert_allclose(row(est, "1", "3"), [1, 0, 0, 0], atol=EXACT)
    assert_allclose(row(est, "1", "2"), [0, 1, 1, 0], atol=EXACT)
    assert_allclose(row(est, "2", "3"), [0, 1, 1, 0], atol=EXACT)
    # x2 against (x1, x3): the rest's bit is x1's, once
    assert_allclose(row(est, "2", "rest"), [0, 1, 1, 0], atol=EXACT)
    assert est.mi_joint_ == pytest.approx(2.0, abs=EXACT)


@pytest.fixture(scope="module")
def continuous():
    """Two noisy views of the label and one column of pure noise."""
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 2, n)
    X = np.column_stack(
        [y + rng.normal(0, 1, n), y + rng.normal(0, 1, n), rng.normal(0, 1, n)]
    )
    return pd.DataFrame(X, columns=["a", "b", "noise"]), y


def test_a_pair_is_the_two_modality_fit(continuous):
    """Each pair's numbers are those of fitting that pair alone (same seed):
    the shared discretisation changes nothing."""
    X, y = continuous
    est = PIDCVX(modalities={"A": ["a"], "B": ["b"], "N": ["noise"]}, random_state=0)
    est.fit(X, y)
    alone = PIDCVX(modalities=(["a"], ["noise"]), random_state=0).fit(X, y)
    assert_array_equal(row(est, "A", "N"), alone.decomposition_.to_numpy())
    pairs = est.pair_estimators_
    # one k-means per modality: the discretizer of "A" is the same object
    assert pairs[("A", "B")].discretizers_[0] is pairs[("A", "N")].discretizers_[0]
    assert pairs[("A", "N")].discretizers_[1] is pairs[("B", "N")].discretizers_[1]


def test_two_modalities_are_unchanged(continuous):
    X, y = continuous
    pair = PIDCVX(modalities=(["a"], ["b"]), random_state=0).fit(X, y)
    named = PIDCVX(modalities={"A": ["a"], "B": ["b"]}, random_state=0).fit(X, y)
    assert_array_equal(named.decomposition_, pair.decomposition_)
    assert_array_equal(named.transform(X), pair.transform(X))
    assert list(named.get_feature_names_out()) == ATOMS
    assert not hasattr(named, "decompositions_")


def test_outputs_are_named_by_pair(continuous):
    X, y = continuous
    est = PIDCVX(modalities={"A": ["a"], "B": ["b"], "N": ["noise"]}, random_state=0)
    est.fit(X, y)
    names = est.get_feature_names_out()
    assert len(names) == 4 * 6
    assert names[0] == "redundancy[A,B]" and names[-1] == "synergy[N,rest]"
    values = est.transform(X.iloc[:50])
    assert values.shape == (50, 24)
    assert_array_equal(
        values[:, 4:8], est.pair_estimators_[("A", "N")].transform(X.iloc[:50])
    )
    frame = est.interactions(X.iloc[:50], y[:50])
    assert list(frame.columns) == list(names)
    assert_array_equal(frame.index, X.index[:50])
    # dataset atoms are the means of the label-conditioned per-sample values
    full = est.interactions(X, y)
    assert full["synergy[A,B]"].mean() == pytest.approx(row(est, "A", "B")[3], abs=1e-9)
    assert est.predict_proba(X.iloc[:5]).shape == (5, 2)
    pipe = make_pipeline(est, LogisticRegression()).fit(X, y)
    assert pipe.score(X, y) > 0.6
    assert list(pipe[:-1].get_feature_names_out()) == list(names)


def test_neural_estimators_share_each_modality_and_see_noise(continuous):
    """A pure-noise modality: PIDBatch's atoms with it are ~0 (its tests'
    0.03-bit tolerance), and each modality's posterior is fitted once."""
    X, y = continuous
    est = PIDBatch(modalities=[["a"], ["b"], ["noise"]], max_epochs=20, random_state=0)
    est.fit(X, y)
    redundancy, unique_a, unique_noise, synergy = row(est, "1", "3")
    assert abs(redundancy) < 0.03 and abs(unique_noise) < 0.03 and abs(synergy) < 0.03
    assert unique_a == pytest.approx(est.pair_estimators_[("1", "2")].mi_1_, abs=0.03)
    pairs = est.pair_estimators_
    for fold in range(len(pairs[("1", "2")].classifiers_)):
        assert (
            pairs[("1", "2")].classifiers_[fold][0]
            is pairs[("1", "3")].classifiers_[fold][0]
        )


def test_lsmi_with_a_noise_modality(continuous):
    """LSMI's pointwise atoms: the noise's unique information is the
    negative of its redundancy (R + U_noise = I(noise; Y) = 0); with
    ``adjust="shift"`` both are 0."""
    X, y = continuous
    est = LSMIEstimator(
        modalities=[["a"], ["b"], ["noise"]], max_epochs=20, random_state=0
    )
    est.fit(X, y)
    d = est.decompositions_.set_index(["source_1", "source_2"]).loc[("1", "3")]
    assert abs(d["mi_2"]) < 0.02
    assert d["redundancy"] + d["unique_2"] == pytest.approx(d["mi_2"], abs=1e-9)
    shifted = LSMIEstimator(
        modalities=(["a"], ["noise"]), max_epochs=20, adjust="shift", random_state=0
    ).fit(X, y)
    assert abs(shifted.redundancy_) < 0.02 and abs(shifted.unique_2_) < 0.02
    first = est.pair_estimators_[("1", "2")].models_[0]["classifier_1"]
    assert est.pair_estimators_[("1", "3")].models_[0]["classifier_1"] is first


def test_bad_groups_are_named(continuous):
    X, y = continuous
    with pytest.raises(ValueError, match="'A' and 'B' overlap on columns"):
        PIDCVX(modalities={"A": ["a"], "B": ["a", "b"], "N": ["noise"]}).fit(X, y)
    with pytest.raises(ValueError, match="give one discretizer for all"):
        PIDCVX(modalities=[[0], [1], [2]], discretizer=("kmeans",) * 3).fit(X, y)
    with pytest.raises(ValueError, match="DMIClassifier takes two modalities"):
        DMIClassifier(modalities=[[0], [1], [2]]).fit(X, y)
    constant = X.assign(noise=1.0)
    with pytest.raises(ValueError, match=r"Modalities \(1, 3\): .*constant"):
        PIDCVX(modalities=[[0], [1], [2]]).fit(constant, y)
    est = PIDCVX(modalities=[[0], [1], [2]], random_state=0)
    with pytest.raises(ValueError, match="one pair at a time"):
        bootstrap(est, X, y, n_resamples=2)


def test_plug_in_entropies_of_groups_are_consistent(xor_and_noise):
    """mi_1 of (a, b) is I(a; Y) whichever partner a has."""
    _, _, _, est = xor_and_noise
    frame = est.decompositions_
    for name in est.modality_names_:
        values = frame.loc[frame["source_1"] == name, "mi_1"]
        assert np.ptp(values) < EXACT, name
    assert math.isfinite(est.score(*xor_and_noise[:2]))
