"""Correctness of PIDCVX against exact answers.

Tolerances: the default solver certifies a duality gap of 1e-9 nats, so atoms
are exact to ~1.5e-9 bits; dit's exponential-cone route (ECOS) agrees with a
tight CVXPY solution to 2e-8 bits (measured), so comparisons with dit use
1e-6 bits, the accuracy the issue asks for. Identities hold by construction up
to the rounding of solver-tolerance negatives (< 1e-7 -> 0), checked to 1e-8.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS, table_to_samples
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_pid import PIDCVX, SolverError, broja_decomposition
from sklearn_pid._broja import solve_broja
from sklearn_pid._information import (
    conditional_mutual_information,
    entropy,
    pid_from_tables,
)
from sklearn_pid.cvx import auto_bins, auto_states


def fit_table(p, **params):
    X, y, w = table_to_samples(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few rows per class
        return PIDCVX(discretizer="discrete", **params).fit(X, y, sample_weight=w)


def table(outcomes):
    """Joint table from {"x1 x2 y": probability} with one-digit symbols."""
    idx = [tuple(int(c) for c in k) for k in outcomes]
    p = np.zeros([max(i[d] for i in idx) + 1 for d in range(3)])
    for i, v in zip(idx, outcomes.values()):
        p[i] = v
    return p / p.sum()


def gate(fn):
    return table({f"{a}{b}{fn(a, b)}": 0.25 for a in (0, 1) for b in (0, 1)})


# published values (Liang et al. 2023, Table 1; dit's BROJA catalogue), bits
H = 0.31127812445913283  # I(X1;Y) of AND: 0.8113 - 0.5
PUBLISHED = {
    "and": (gate(lambda a, b: a & b), (H, 0, 0, 0.5)),
    "or": (gate(lambda a, b: a | b), (H, 0, 0, 0.5)),
    "xor": (gate(lambda a, b: a ^ b), (0, 0, 0, 1)),
    "sum": (gate(lambda a, b: a + b), (0.5, 0, 0, 1)),
    "copy": (gate(lambda a, b: 2 * a + b), (0, 1, 1, 0)),
    "redundant": (table({"000": 0.5, "111": 0.5}), (1, 0, 0, 0)),
    "w": (table({"001": 1, "010": 1, "100": 1}), (0.2516291673878229, 0, 0, 2 / 3)),
    "unique_2": (gate(lambda a, b: b), (0, 0, 1, 0)),
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_values(name):
    p, expected = PUBLISHED[name]
    est = fit_table(p)
    np.testing.assert_allclose(est.decomposition_.values, expected, atol=1e-6)
    assert est.marginal_violation_ < 1e-8


def dit_broja(p):
    """dit's BROJA by its exponential-cone route (its default route is unreliable)."""
    dit = pytest.importorskip("dit")
    pytest.importorskip("ecos")
    x1, x2, y = np.nonzero(p)
    outcomes = [(a, b, c) for a, b, c in zip(x1, x2, y)]
    d = dit.Distribution(outcomes, p[x1, x2, y])
    pid = dit.pid.PID_BROJA(d, [[0], [1]], [2], method="cone")
    return np.array(
        [
            pid.get_pi(((0,), (1,))),
            pid.get_pi(((0,),)),
            pid.get_pi(((1,),)),
            pid.get_pi(((0, 1),)),
        ]
    )


CATALOG = [
    "uniform",
    "null",
    "redundant",
    "simple",
    "unique 1",
    "cat",
    "synergy",
    "w",
    "diff",
    "and",
    "reduced or",
    "sum",
    "rand",
    "f1",
    "jeff",
    "wb 1",
    "wb 2",
    "wb 3",
    "imp. rdn",
    "rdn xor",
    "prob. 1",
    "prob. 2",
    "gband",
    "boom",
    "not two",
    "pnt. unq.",
    "erase",
]


def dit_table(name):
    dit = pytest.importorskip("dit")
    d = dit.pid.distributions.bivariates[name]
    symbols = [sorted({o[k] for o in d.outcomes}) for k in range(3)]
    p = np.zeros([len(s) for s in symbols])
    for o, v in zip(d.outcomes, d.pmf):
        p[tuple(s.index(o[k]) for k, s in enumerate(symbols))] += v
    return p


@pytest.mark.parametrize("name", CATALOG)
def test_dit_catalog(name):
    p = dit_table(name)
    est = fit_table(p)
    np.testing.assert_allclose(est.decomposition_.values, dit_broja(p), atol=1e-6)


@pytest.mark.parametrize(
    "shape, seed", [((3, 3, 2), 0), ((4, 3, 3), 1), ((2, 5, 4), 2), ((5, 5, 3), 3)]
)
def test_random_tables_against_dit(shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(math.prod(shape))).reshape(shape)
    p[p < 0.01] = 0  # sparse support exercises the support handling
    p /= p.sum()
    est = fit_table(p)
    np.testing.assert_allclose(est.decomposition_.values, dit_broja(p), atol=1e-6)


@pytest.mark.parametrize(
    "shape, seed", [((6, 5, 3), 0), ((12, 12, 4), 1), ((16, 8, 10), 2)]
)
def test_newton_matches_tight_clarabel(shape, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(math.prod(shape), 0.5)).reshape(shape)
    newton = solve_broja(p, "newton")
    tight = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clarabel = solve_broja(p, "CLARABEL", tight)
    a = pid_from_tables(p, newton.q)
    b = pid_from_tables(p, clarabel.q)
    assert newton.solver == "newton"
    assert max(abs(a[k] - b[k]) for k in ATOMS) < 1e-6
    assert newton.marginal_violation < 1e-12


def test_identities_and_nonnegativity(rng):
    p = rng.dirichlet(np.full(7 * 6 * 3, 0.3)).reshape(7, 6, 3)
    est = fit_table(p)
    d = est.decomposition_
    assert d["redundancy"] + d["unique_1"] == pytest.approx(est.mi_1_, abs=1e-8)
    assert d["redundancy"] + d["unique_2"] == pytest.approx(est.mi_2_, abs=1e-8)
    assert d.sum() == pytest.approx(est.mi_joint_, abs=1e-8)
    assert (d >= 0).all()
    assert est.marginal_violation_ < 1e-8
    np.testing.assert_allclose(est.q_.sum(axis=1), est.p_.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(est.q_.sum(axis=0), est.p_.sum(axis=0), atol=1e-12)


def test_swap_modalities_swaps_uniques(rng):
    p = rng.dirichlet(np.ones(4 * 5 * 3)).reshape(4, 5, 3)
    a = fit_table(p).decomposition_
    b = fit_table(p.transpose(1, 0, 2)).decomposition_
    np.testing.assert_allclose(
        [a["redundancy"], a["unique_1"], a["unique_2"], a["synergy"]],
        [b["redundancy"], b["unique_2"], b["unique_1"], b["synergy"]],
        atol=1e-8,
    )


def test_identical_modalities_have_only_redundancy(rng):
    x = rng.integers(0, 4, 3000)
    y = (x + rng.integers(0, 2, 3000)) % 3
    est = PIDCVX().fit(np.column_stack([x, x]), y)
    assert est.unique_1_ == pytest.approx(0, abs=1e-8)
    assert est.unique_2_ == pytest.approx(0, abs=1e-8)
    assert est.synergy_ == pytest.approx(0, abs=1e-8)
    assert est.redundancy_ == pytest.approx(est.mi_1_, abs=1e-8)


def test_relabelling_and_permutation_invariance(rng):
    X = rng.integers(0, 3, size=(2000, 2))
    y = (X[:, 0] * X[:, 1] + rng.integers(0, 2, 2000)) % 3
    ref = PIDCVX().fit(X, y).decomposition_
    relabelled = np.array(["c", "a", "b"])[y]
    perm = rng.permutation(len(y))
    recoded = np.column_stack([X[:, 0] + 10, -X[:, 1]])
    for Xv, yv in [(X, relabelled), (X[perm], y[perm]), (recoded, y)]:
        np.testing.assert_allclose(PIDCVX().fit(Xv, yv).decomposition_, ref, atol=1e-8)


def test_base_changes_units(rng):
    X = rng.integers(0, 3, size=(1000, 2))
    y = X.sum(axis=1) % 2
    bits = PIDCVX().fit(X, y).decomposition_
    nats = PIDCVX(base=math.e).fit(X, y).decomposition_
    np.testing.assert_allclose(nats, bits * math.log(2), atol=1e-8)


def test_interactions_average_to_dataset_values(rng):
    X = rng.integers(0, 4, size=(3000, 2))
    y = (X[:, 0] + X[:, 1] * (X[:, 0] > 1) + rng.integers(0, 2, 3000)) % 3
    est = PIDCVX().fit(X, y)
    inter = est.interactions(X, y)
    assert list(inter.columns) == ATOMS
    np.testing.assert_allclose(
        inter.mean().values, est.decomposition_.values, atol=1e-8
    )
    # per-sample identities
    i1 = inter["redundancy"] + inter["unique_1"]
    i2 = inter["redundancy"] + inter["unique_2"]
    assert i1.mean() == pytest.approx(est.mi_1_, abs=1e-8)
    assert i2.mean() == pytest.approx(est.mi_2_, abs=1e-8)
    assert inter.sum(axis=1).mean() == pytest.approx(est.mi_joint_, abs=1e-8)
    # with alpha=0, transform averages the same way (the posterior is the table's)
    est0 = PIDCVX(alpha=0).fit(X, y)
    np.testing.assert_allclose(
        est0.transform(X).mean(axis=0), est.decomposition_.values, atol=1e-8
    )


def test_transform_output_and_pandas(rng):
    X = pd.DataFrame({"a": rng.integers(0, 3, 500), "b": rng.integers(0, 3, 500)})
    y = (X["a"] + X["b"]) % 2
    est = PIDCVX().fit(X, y)
    Xt = est.transform(X)
    assert Xt.shape == (500, 4)
    assert list(est.get_feature_names_out()) == ATOMS
    np.testing.assert_allclose(est.fit_transform(X, y), Xt)
    out = clone(est).set_output(transform="pandas").fit(X, y).transform(X)
    assert list(out.columns) == ATOMS
    assert (out.index == X.index).all()


def test_unseen_states_at_transform(rng):
    X = rng.integers(0, 3, size=(600, 2))
    y = (X[:, 0] + X[:, 1]) % 2
    est = PIDCVX().fit(X, y)
    new = np.array([[7, 1], [0, 9], [8, 8]])
    proba = est.predict_proba(new)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert np.isfinite(est.transform(new)).all()
    inter = est.interactions(new, [0, 1, 1])
    # an unseen x1 state carries no information about y
    assert inter.loc[0, "redundancy"] + inter.loc[0, "unique_1"] == pytest.approx(0)


def test_predict_and_score(rng):
    X = rng.integers(0, 2, size=(4000, 2))
    y = X[:, 0] ^ X[:, 1]
    est = PIDCVX().fit(X, y)
    assert (est.predict(X) == y).all()
    assert est.score(X, y) == pytest.approx(
        1.0, abs=0.01
    )  # ~1 bit, smoothing costs little
    # a table fitted on labels independent of X knows nothing about y: its score
    # is 0 up to the noise of 4 cells x 1000 samples (sd ~0.023 bit; 5 sd bound)
    noisy = PIDCVX().fit(X, rng.integers(0, 2, 4000))
    assert abs(noisy.score(X, y)) < 0.12


def test_grid_search_and_pipeline(rng):
    n = 3000
    yy = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + 1.5 * np.where(yy[:, None] == 1, 1, -1)
    search = GridSearchCV(PIDCVX(discretizer="quantile"), {"n_bins": [2, 8]}, cv=3)
    search.fit(X, yy)
    assert search.best_params_["n_bins"] == 8
    pipe = make_pipeline(PIDCVX(random_state=0)).fit(X, yy)
    assert pipe.transform(X).shape == (n, 4)


def test_gaussian_mixture_reference_value():
    """The paper's GMM, 50 uniform bins on [-5, 5] (reference: 0.720/0.000/0.002/0.191).

    The reference used 1e6 samples; with 2e5 the plug-in table moves atoms by
    a few 1e-3 bits, hence the 0.01-bit tolerance.
    """
    rng = np.random.default_rng(0)
    n = 200_000
    y = rng.integers(0, 2, n)
    mu = 2 * np.array([np.cos(np.pi / 4), np.sin(np.pi / 4)])
    X = rng.normal(size=(n, 2)) + np.where(y[:, None] == 1, mu, -mu)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no solver fallback
        est = PIDCVX(discretizer="uniform", n_bins=50, bin_range=(-5, 5)).fit(X, y)
    assert est.solver_ == "newton"
    np.testing.assert_allclose(
        est.decomposition_.values, [0.720, 0.000, 0.002, 0.191], atol=0.01
    )


def test_discretizers(rng):
    X = rng.normal(size=(800, 4))
    y = (X[:, 0] + X[:, 2] > 0).astype(int)
    auto = PIDCVX(modalities=2, random_state=0).fit(X, y)
    # "auto" sizes: floor(sqrt(800 / (5 * 2))) = 8 states per modality
    assert auto.discretization_ == {
        "modality_1": "kmeans(8)",
        "modality_2": "kmeans(8)",
    }
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import KBinsDiscretizer

    custom = PIDCVX(
        modalities=2,
        discretizer=(KMeans(5, n_init=2), KBinsDiscretizer(3, encode="ordinal")),
        random_state=0,
    ).fit(X, y)
    assert custom.n_states_[0] == 5
    assert custom.discretization_["modality_2"] == "KBinsDiscretizer"
    assert custom.transform(X[:10]).shape == (10, 4)
    strings = np.array(["lo", "hi"], dtype=object)[(X[:, :2] > 0).astype(int)]
    cat = PIDCVX(modalities=1).fit(strings, y)
    assert cat.discretization_["modality_1"] == "discrete"
    one = PIDCVX(modalities=1).fit(X[:, :2], y)
    assert one.discretization_ == {
        "modality_1": "quantile(8)",
        "modality_2": "quantile(8)",
    }


@pytest.mark.parametrize(
    "n_samples, n_classes, states",
    [
        (569, 2, 7),
        (1797, 10, 5),
        (800, 2, 8),
        (4000, 2, 20),
        (10**6, 2, 20),
        (30, 5, 2),
    ],
)
def test_auto_states_keep_about_five_samples_per_cell(n_samples, n_classes, states):
    assert auto_states(n_samples, n_classes) == states
    # the joint table has at least 5 samples per cell (except at the floor of 2)
    assert states == 2 or n_samples / (states**2 * n_classes) >= 5


@pytest.mark.parametrize(
    "states, n_columns, bins", [(8, 1, 8), (9, 2, 3), (20, 1, 10), (7, 3, 2)]
)
def test_auto_bins_per_column(states, n_columns, bins):
    assert auto_bins(states, n_columns) == bins


def test_default_sizes_do_not_warn_on_real_data():
    """Breast cancer (569 rows, 2 classes), mean vs worst columns: no bias warning."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = np.hstack([X[:, :10], X[:, 20:30]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = PIDCVX(modalities=10, random_state=0).fit(X, y)
    assert est.discretization_["modality_1"] == "kmeans(7)"
    assert est.plugin_bias_ < 0.1 * est.mi_joint_


@pytest.mark.parametrize(
    "X, y, params, error, match",
    [
        ([[0, 1], [1, np.nan]] * 10, [0, 1] * 10, {}, ValueError, "NaN"),
        ([[0, 1], [1, np.inf]] * 10, [0, 1] * 10, {}, ValueError, "infinity"),
        ([[0, 1], [1, 0]] * 10, [0] * 20, {}, ValueError, "only one class"),
        ([[0, 1], [1, 0]] * 10, [0, 1] * 9, {}, ValueError, "inconsistent"),
        ([[0, 1], [1, 0]] * 10, np.linspace(0, 1, 20), {}, ValueError, "continuous"),
        (
            [[0, 1], [0, 0]] * 10,
            [0, 1] * 10,
            {},
            ValueError,
            "Modality 1 is constant",
        ),
        ([[0, 1, 2]] * 20, [0, 1] * 10, {}, ValueError, "exactly 2"),
        (
            [[0, 1], [1, 0]] * 10,
            [0, 1] * 10,
            {"discretizer": "magic"},
            ValueError,
            "discretizer",
        ),
    ],
)
def test_bad_input(X, y, params, error, match):
    with pytest.raises(error, match=match):
        PIDCVX(**params).fit(np.asarray(X, dtype=float), y)


def test_too_many_states_names_the_parameter(rng):
    X = rng.normal(size=(50, 2))
    y = np.arange(50) % 2
    from sklearn_pid import cvx

    old = cvx.MAX_CELLS
    cvx.MAX_CELLS = 100
    try:
        with pytest.raises(ValueError, match="n_bins"):
            PIDCVX(discretizer="uniform", n_bins=20).fit(X, y)
    finally:
        cvx.MAX_CELLS = old


def test_warnings_for_weak_estimates(rng):
    X = rng.integers(0, 2, size=(40, 2))
    y = np.r_[np.zeros(38, int), [1, 1]]
    with pytest.warns(UserWarning, match="fewer than 5"):
        PIDCVX().fit(X, y)
    Xc = rng.normal(size=(60, 2))
    with pytest.warns(UserWarning, match="plug-in bias"):
        PIDCVX(discretizer="uniform", n_bins=30).fit(Xc, np.arange(60) % 2)


def test_solver_fallback_warns_once(rng):
    """Every one of the seven solves falls back; the user reads one sentence."""
    X = rng.integers(0, 3, size=(500, 2))
    y = X.sum(1) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = PIDCVX(solver="newton", solver_options={"max_iter": 1}).fit(X, y)
    assert [str(w.message) for w in caught] == [
        "The BROJA solver newton: RuntimeError: no convergence in 1 Newton steps "
        "(no duality gap certified yet); 'CLARABEL' solved the problem instead, "
        f"and its table meets the marginals of p to {est.marginal_violation_:.1g}."
    ]
    assert est.solver_ == "CLARABEL"
    ref = PIDCVX().fit(X, y)
    np.testing.assert_allclose(est.decomposition_, ref.decomposition_, atol=1e-6)


def test_auto_refuses_text_beside_many_numbers(rng):
    """A modality with text and a measurement (or a stray string among
    numbers) would be read as categorical, each number a state: refused."""
    n = 300
    y = rng.integers(0, 2, n)
    df = pd.DataFrame(
        {
            "colour": rng.choice(list("rgb"), n),
            "v": y + rng.normal(size=n),
            "shape": rng.choice(["sq", "ci"], n),
            "w": rng.integers(0, 3, n),
        }
    )
    with pytest.raises(ValueError, match="column 1 holds 300 distinct numbers: each"):
        PIDCVX(modalities=(["colour", "v"], ["shape", "w"])).fit(df, y)
    X = np.column_stack([y + rng.normal(size=n), rng.normal(size=n)]).astype(object)
    X[0, 0] = "abc"
    with pytest.raises(ValueError, match="299 distinct numbers and some text"):
        PIDCVX().fit(X, y)
    # text beside few whole numbers stays categorical
    est = PIDCVX(modalities=(["colour", "w"], ["shape"])).fit(df, y)
    assert est.discretization_ == {"modality_1": "discrete", "modality_2": "discrete"}
    with pytest.raises(ValueError, match="This discretizer needs numeric columns"):
        PIDCVX(modalities=(["colour"], ["w"]), discretizer="quantile").fit(df, y)


def test_sample_weight_with_an_infinite_sum_is_refused(rng):
    X = rng.integers(0, 2, size=(50, 2))
    with pytest.raises(ValueError, match="with a finite sum"):
        PIDCVX().fit(X, X[:, 0], sample_weight=np.full(50, 1e307))


def test_random_state_reproducible(rng):
    X = rng.normal(size=(500, 6))
    y = (X[:, 0] > 0).astype(int)
    a = PIDCVX(modalities=3, random_state=3).fit(X, y).decomposition_
    b = PIDCVX(modalities=3, random_state=3).fit(X, y).decomposition_
    np.testing.assert_array_equal(a, b)


def test_atoms_follow_the_definition(rng):
    """U1 = I_q(X1;Y|X2), U2 = I_q(X2;Y|X1), and q raises H(Y|X1,X2) over p."""
    p = rng.dirichlet(np.full(5 * 4 * 3, 0.5)).reshape(5, 4, 3)
    est = fit_table(p)
    q = est.q_
    # conditional_mutual_information takes axes (x, y, z) for I(X;Y|Z)
    assert est.unique_1_ == pytest.approx(
        conditional_mutual_information(q.transpose(0, 2, 1)), abs=1e-8
    )
    assert est.unique_2_ == pytest.approx(
        conditional_mutual_information(q.transpose(1, 2, 0)), abs=1e-8
    )

    def cond_entropy(t):
        return entropy(t) - entropy(t.sum(axis=2))

    assert cond_entropy(q) >= cond_entropy(p) - 1e-12
    # and no feasible perturbation of q does better: mix with p (feasible)
    for w in (0.01, 0.1, 0.5):
        assert cond_entropy(q) >= cond_entropy((1 - w) * q + w * p) - 1e-9


def test_broja_decomposition_function():
    p, expected = PUBLISHED["sum"]
    values = broja_decomposition(p * 12)  # counts are normalised
    np.testing.assert_allclose(values[ATOMS].values, expected, atol=1e-6)
    assert values["mi_joint"] == pytest.approx(1.5)
    with pytest.raises(ValueError, match="3-D array"):
        broja_decomposition(np.ones((2, 2)))


def test_split_half_fallbacks_warn_once(monkeypatch, rng):
    """The full table solves; the six half tables fall back: one warning."""
    import sklearn_pid._broja as broja

    real, calls = broja._solve_newton, []

    def fail_after_first(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("forced failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(broja, "_solve_newton", fail_after_first)
    X = rng.integers(0, 3, size=(500, 2))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = PIDCVX(random_state=0).fit(X, X.sum(1) % 2)
    assert est.solver_ == "newton"
    assert len(caught) == 1
    assert str(caught[0].message).startswith(
        "In 6 of the 6 split-half tables of the bias correction: The BROJA solver "
        "newton: RuntimeError: forced failure; 'CLARABEL' solved the problem instead"
    )


@pytest.mark.parametrize(
    "shape, seed", [((4, 4, 2), 0), ((16, 16, 2), 1), ((7, 5, 3), 2)]
)
def test_newton_stops_at_rounding_without_a_fallback(shape, seed):
    """A tolerance that rounding cannot reach (1e-12 nats) ends in the best
    certified table, not in a fallback: the stall of issue 14."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(math.prod(shape), 0.5)).reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        solution = solve_broja(p, "newton", {"tol": 1e-12})
    assert solution.solver == "newton"
    assert solution.status in ("optimal", "optimal_inaccurate")
    exact = solve_broja(p, "newton")
    a, b = pid_from_tables(p, solution.q), pid_from_tables(p, exact.q)
    assert max(abs(a[k] - b[k]) for k in ATOMS) < 1e-8


def test_cvxpy_route_refuses_tables_beyond_memory():
    """A support past CVXPY_MAX_ENTRIES raises instead of aborting the process."""
    from sklearn_pid._broja import CVXPY_MAX_ENTRIES

    side = math.isqrt(CVXPY_MAX_ENTRIES // 64) + 1
    p = np.full((side, side, 64), 1.0 / (side * side * 64))
    with pytest.raises(SolverError, match="exceed the CVXPY route's limit"):
        solve_broja(p, "CLARABEL")


def test_solver_error_lists_every_solver(monkeypatch, rng):
    import sklearn_pid._broja as broja

    def fail(*args, **kwargs):
        raise RuntimeError("forced failure")

    monkeypatch.setattr(broja, "_solve_newton", fail)
    monkeypatch.setattr(broja, "_solve_cvxpy", fail)
    X = rng.integers(0, 2, size=(100, 2))
    with pytest.raises(
        SolverError, match="newton: RuntimeError: forced failure"
    ) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            PIDCVX().fit(X, X[:, 0] ^ X[:, 1])
    assert "CLARABEL: RuntimeError" in str(info.value)


def test_unknown_solver_and_options(rng):
    X = rng.integers(0, 2, size=(100, 2))
    y = X[:, 0] ^ X[:, 1]
    with pytest.raises(ValueError, match="Unknown solver 'clarabell'"):
        PIDCVX(solver="clarabell").fit(X, y)
    with pytest.raises(ValueError, match="max_iters"):
        PIDCVX(solver_options={"max_iters": 10}).fit(X, y)


@pytest.mark.parametrize("discretizer", ["uniform", "quantile", "kmeans"])
def test_discretizers_map_fitted_samples_to_their_states(discretizer, rng):
    X = rng.normal(size=(400, 2))
    y = (X.sum(axis=1) > 0).astype(int)
    est = PIDCVX(discretizer=discretizer, n_bins=4, n_clusters=4, random_state=0).fit(
        X, y
    )
    fitted = est.interactions(X, y)
    # new samples identical to fitted ones get identical values
    np.testing.assert_allclose(
        est.interactions(X[::-1], y[::-1]).values, fitted.values[::-1]
    )
    # values far outside the fitted range fall into edge bins / nearest clusters
    far = np.array([[1e6, -1e6]])
    assert np.all(est.discretizers_[0].transform(far[:, :1]) >= 0)
    assert np.isfinite(est.transform(far)).all()


def test_dataframe_modalities_by_name(rng):
    X = pd.DataFrame(rng.integers(0, 3, size=(300, 3)), columns=["img", "aud1", "aud2"])
    y = (X["img"] + X["aud1"]) % 2
    est = PIDCVX(modalities=(["img"], ["aud1", "aud2"])).fit(X, y)
    assert [c.tolist() for c in est.modality_columns_] == [[0], [1, 2]]
    with pytest.raises(ValueError, match="feature names"):
        est.transform(X.rename(columns={"img": "video"}))


def test_verbose_zero_prints_nothing(capsys, rng):
    X = rng.integers(0, 3, size=(300, 2))
    PIDCVX().fit(X, X.sum(axis=1) % 2).transform(X)
    assert capsys.readouterr().out == ""
    PIDCVX(verbose=1).fit(X, X.sum(axis=1) % 2)
    assert "newton" in capsys.readouterr().out


def test_zero_weights_equal_dropping_rows(rng):
    X = rng.integers(0, 3, size=(400, 2))
    y = (X[:, 0] + X[:, 1] + (np.arange(400) % 5 == 0)) % 3
    w = np.where(y == 2, 0.0, 1.0)
    a = PIDCVX().fit(X, y, sample_weight=w)
    b = PIDCVX().fit(X[y != 2], y[y != 2])
    np.testing.assert_array_equal(a.classes_, [0, 1])
    np.testing.assert_allclose(a.decomposition_, b.decomposition_, atol=1e-10)
    assert np.isfinite(a.predict_proba(X)).all()


def test_alpha_zero_unseen_cells_fall_back_to_prior():
    # x1 = 0 only with y = 0, x2 = 1 only with y = 1; the cell (0, 1) is unseen
    X = np.array([[0, 0]] * 10 + [[1, 1]] * 10 + [[1, 0]] * 5)
    y = np.array([0] * 10 + [1] * 10 + [0] * 5)
    est = PIDCVX(alpha=0).fit(X, y)
    proba = est.predict_proba([[0, 1]])
    np.testing.assert_allclose(proba, [[15 / 25, 10 / 25]])
    assert np.isfinite(est.transform([[0, 1]])).all()


def test_infinity_in_mixed_dataframe_is_rejected(rng):
    X = pd.DataFrame({"a": rng.normal(size=50), "b": ["u", "v"] * 25})
    X.loc[3, "a"] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        PIDCVX().fit(X, np.arange(50) % 2)


def test_one_hot_discretizer_output_is_explained(rng):
    from sklearn.preprocessing import KBinsDiscretizer

    X = rng.normal(size=(100, 2))
    with pytest.raises(ValueError, match="encode='ordinal'"):
        PIDCVX(discretizer=KBinsDiscretizer(3)).fit(X, np.arange(100) % 2)


def test_user_discretizer_keeps_its_random_state(rng):
    from sklearn.cluster import KMeans

    X = rng.normal(size=(200, 4))
    est = PIDCVX(modalities=2, discretizer=KMeans(3, n_init=1, random_state=5))
    est.fit(X, (X[:, 0] > 0).astype(int))
    assert est.discretizers_[0].model_.random_state == 5


@pytest.mark.slow
@pytest.mark.parametrize("shape", [(16, 16, 10), (24, 20, 4)])
def test_larger_random_tables_against_dit(shape):
    """Same check as the small tables, at sizes where dit's cone route takes seconds."""
    rng = np.random.default_rng(sum(shape))
    p = rng.dirichlet(np.ones(math.prod(shape))).reshape(shape)
    values = broja_decomposition(p)
    np.testing.assert_allclose(values[ATOMS].values, dit_broja(p), atol=1e-6)


@pytest.mark.slow
def test_gaussian_mixture_with_a_million_samples():
    """The reference's own setting: 1e6 samples, 50 bins (0.720/0.000/0.002/0.191).

    At 1e6 samples the plug-in table is within ~2e-3 bits of its limit (the two
    reference seeds differ by 1.3e-3 in S), hence 0.005.
    """
    from sklearn_pid.datasets import make_gaussian_mixture

    X, y = make_gaussian_mixture(1_000_000, random_state=0)
    with warnings.catch_warnings():  # no solver fallback (fixed split halves)
        warnings.simplefilter("error", RuntimeWarning)
        est = PIDCVX(
            discretizer="uniform", n_bins=50, bin_range=(-5, 5), random_state=0
        ).fit(X, y)
    np.testing.assert_allclose(
        est.decomposition_.values, [0.720, 0.000, 0.002, 0.191], atol=0.005
    )
