"""Tests of PIDBatch and its Sinkhorn projection.

The contract shared by every estimator (names, shapes, pickling, hostile
input, scale) is tested in tests/test_contract.py, the dataset generators in
tests/test_datasets.py.

Exact references: PIDCVX on the same samples (one-hot bitwise data, random
discrete tables) and PIDCVX on a 50-bin histogram of 10^6 samples of the
Gaussian mixture. Heavier fits (n = 10,000 at the default hyperparameters)
are marked ``slow``; the default run uses small, fast fits and unit tests.

Tolerances and where they come from:

* 0.01 bits on the bitwise data and 0.03 on random tables: the issue's
  acceptance criteria. Measured on this machine (seed 0, n = 10,000, default
  hyperparameters): AND max |PIDBatch - PIDCVX| = 0.0006 bits.
* Even with the exact posteriors and the exact batch-level optimum, coupling
  batches of 256 samples without reweighting moves AND's atoms by 0.015 bits
  (U1, U2 up, R down); with the reweighting of ``tilt_weights`` by 0.003.
* The Gaussian mixture at pi/4 needs a deterministic matching of two finite
  samples of continuous posteriors; the batch coupling cannot do that and
  ``I_q`` stays about 0.02 bits high (the free-kernel optimum of single
  batches of 256, found by 1500 Adam steps: 0.016 bits above ``I(X1;Y)``).
  Measured PIDBatch error there: 0.022-0.023 bits with ``cv=None`` (research
  code: 0.039); 0.017 with the default ``cv=5`` (posterior-matching couplings).
* 0.02 bits on identical views (breast_cancer's 10 "mean" columns given
  twice, whose unique and synergistic parts are exactly 0): the issue's
  acceptance criterion. Measured with the defaults: 0 to rounding (three
  identical posteriors per fold, the diagonal coupling); before
  cross-fitting: 0.077 / 0.074 / -0.065 bits at seed 0.
"""

import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import ATOMS
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

from sklearn_pid import PIDBatch
from sklearn_pid._posteriors import distinct_columns
from sklearn_pid.batch import matched_log_coupling
from sklearn_pid.cvx import PIDCVX
from sklearn_pid.datasets import (
    make_bitwise,
    make_gaussian_mixture,
    make_latent_modalities,
)
from sklearn_pid.nn._align import batch_targets
from sklearn_pid.nn._sinkhorn import (
    consistent_targets,
    coupling_terms,
    information_features,
    sinkhorn,
    tilt_weights,
)

#: Small and fast: enough for XOR / redundant bits at n = 2000.
FAST = {"classifier_max_epochs": 40, "max_epochs": 3, "random_state": 0}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _fit(X, y, **params):
    return PIDBatch(**{**FAST, **params}).fit(X, y)


# --------------------------------------------------------------- Sinkhorn


def _random_problem(n_classes=3, m=64, m2=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    log_kernel = torch.randn(n_classes, m, m2, generator=g, dtype=torch.float64)
    p1 = torch.softmax(torch.randn(m, n_classes, generator=g, dtype=torch.float64), 1)
    p2 = torch.softmax(torch.randn(m2, n_classes, generator=g, dtype=torch.float64), 1)
    w1 = torch.full((m,), 1 / m, dtype=torch.float64)
    w2 = torch.full((m2,), 1 / m2, dtype=torch.float64)
    return log_kernel, consistent_targets(w1, p1, w2, p2)


def test_consistent_targets_have_equal_mass_per_label():
    _, (rows, cols) = _random_problem()
    np.testing.assert_allclose(rows.sum(1), cols.sum(1), rtol=1e-12)
    assert float(rows.sum()) == pytest.approx(1.0)


def test_sinkhorn_meets_both_marginals():
    log_kernel, (rows, cols) = _random_problem()
    log_q, residual, n_iter = sinkhorn(log_kernel, rows, cols, tol=1e-8, max_iter=5000)
    q = log_q.exp()
    assert n_iter < 5000
    assert float(residual.max()) < 1e-8
    # relative L1 error of the rows is the stopping rule; columns are exact
    rel = (q.sum(2) - rows).abs().sum(1) / rows.sum(1)
    assert float(rel.max()) < 1e-8
    np.testing.assert_allclose(q.sum(1), cols, rtol=1e-10, atol=1e-15)
    # the iterations were checked every 10 only
    assert n_iter % 10 == 0


def test_sinkhorn_is_vectorised_over_labels():
    log_kernel, (rows, cols) = _random_problem()
    together, _, _ = sinkhorn(log_kernel, rows, cols, tol=1e-10, max_iter=3000)
    for y in range(log_kernel.shape[0]):
        alone, _, _ = sinkhorn(
            log_kernel[y : y + 1], rows[y : y + 1], cols[y : y + 1], 1e-10, 3000
        )
        np.testing.assert_allclose(together[y].exp(), alone[0].exp(), atol=1e-12)


def test_over_relaxation_converges_to_the_same_projection_faster():
    # a sharp kernel: plain Sinkhorn contracts slowly there
    log_kernel, (rows, cols) = _random_problem()
    log_kernel = log_kernel * 16  # measured: 320 plain iterations, 120 relaxed
    plain, res_p, it_p = sinkhorn(
        log_kernel, rows, cols, tol=1e-7, max_iter=20_000, accelerate=False
    )
    fast, res_f, it_f = sinkhorn(log_kernel, rows, cols, tol=1e-7, max_iter=20_000)
    assert float(res_p.max()) < 1e-7 and float(res_f.max()) < 1e-7
    # both meet the marginals to 1e-7, so the (unique) projections agree
    np.testing.assert_allclose(fast.exp(), plain.exp(), atol=1e-6)
    assert it_f < it_p / 2, (it_f, it_p)


def test_sinkhorn_reports_the_cap():
    log_kernel, (rows, cols) = _random_problem()
    _, residual, n_iter = sinkhorn(log_kernel * 5, rows, cols, tol=1e-12, max_iter=3)
    assert n_iter == 3
    assert float(residual.max()) > 1e-12  # the cap, not the tolerance, stopped it


def test_sinkhorn_handles_extreme_targets():
    # a label with almost no mass and a near-zero posterior stay finite
    log_kernel, (rows, cols) = _random_problem(n_classes=2)
    rows = rows.clone()
    cols = cols.clone()
    rows[1] *= 1e-20
    cols[1] *= 1e-20
    log_q, residual, _ = sinkhorn(log_kernel, rows, cols, tol=1e-6, max_iter=2000)
    assert torch.isfinite(log_q).all()
    assert float(residual.max()) < 1e-6


def test_truncated_unrolling_gives_the_same_projection_and_a_gradient():
    log_kernel, (rows, cols) = _random_problem()
    log_kernel = log_kernel.clone().requires_grad_(True)
    full, _, _ = sinkhorn(log_kernel, rows, cols, tol=1e-9, max_iter=2000)
    cut, _, _ = sinkhorn(log_kernel, rows, cols, tol=1e-9, max_iter=2000, unroll=5)
    np.testing.assert_allclose(full.exp().detach(), cut.exp().detach(), atol=1e-9)
    lp = torch.log(rows.sum(1))
    coupling_terms(cut, lp)[2].backward()
    assert log_kernel.grad is not None and torch.isfinite(log_kernel.grad).all()


def test_coupling_terms_of_the_independent_coupling():
    # with a flat kernel q(i, j, y) = r_i(y) c_j(y) / t(y): check against numpy
    _, (rows, cols) = _random_problem(n_classes=2, m=5, m2=4)
    log_q, _, _ = sinkhorn(
        torch.zeros(2, 5, 4, dtype=torch.float64), rows, cols, 1e-13, 5000
    )
    r, c = rows.numpy(), cols.numpy()
    t = r.sum(1)
    q = r[:, :, None] * c[:, None, :] / t[:, None, None]
    np.testing.assert_allclose(log_q.exp(), q, atol=1e-12)
    prior = np.array([0.3, 0.7])
    post = q / q.sum(0, keepdims=True)
    point = np.log(post / prior[:, None, None])
    g1, g2, info = coupling_terms(log_q, torch.log(torch.tensor(prior)))
    assert float(info) == pytest.approx(float((q * point).sum()), abs=1e-12)
    g1_np = (q / q.sum(2, keepdims=True) * point).sum(2).T
    np.testing.assert_allclose(g1, g1_np, atol=1e-12)
    g2_np = (q / q.sum(1, keepdims=True) * point).sum(1).T
    np.testing.assert_allclose(g2, g2_np, atol=1e-12)


def test_tilt_weights_match_the_targets():
    g = torch.Generator().manual_seed(1)
    proba = torch.softmax(torch.randn(256, 3, generator=g, dtype=torch.float64), 1)
    prior = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    lp = torch.log(prior)
    features = information_features(proba, lp)
    target = torch.cat([prior, features[:, -1:].mean(0) * 0.9])
    w = tilt_weights(features, target)
    assert float(w.sum()) == pytest.approx(1.0)
    np.testing.assert_allclose(w @ features, target, atol=1e-5)
    # already satisfied: uniform weights
    w0 = tilt_weights(proba, proba.mean(0))
    np.testing.assert_allclose(w0, 1 / 256, rtol=1e-6)


def test_tilt_weights_stay_finite_when_infeasible():
    proba = torch.tensor([[0.9, 0.1], [0.8, 0.2]], dtype=torch.float64)
    w = tilt_weights(proba, torch.tensor([0.3, 0.7], dtype=torch.float64))
    assert torch.isfinite(w).all() and float(w.sum()) == pytest.approx(1.0)


# ------------------------------------------------------------ small fits


@pytest.fixture(scope="module")
def xor_fit():
    X, y = make_bitwise("xor", 2000, one_hot=True, random_state=0)
    return X, y, _fit(X, y, modalities=2)


@pytest.fixture(scope="module")
def and_fit():
    X, y = make_bitwise("and", 3000, one_hot=True, random_state=0)
    return X, y, _fit(X, y, modalities=2)


def test_xor_is_synergy(xor_fit):
    X, y, est = xor_fit
    ref = PIDCVX(modalities=2, discretizer="discrete").fit(X, y)
    np.testing.assert_allclose(est.decomposition_, ref.decomposition_, atol=0.01)
    assert est.sinkhorn_cap_rate_ <= 0.05


def test_and_small_sample_close_to_cvx(and_fit):
    X, y, est = and_fit
    ref = PIDCVX(modalities=2, discretizer="discrete").fit(X, y)
    # fast settings, 3000 samples: looser than the slow 0.01 test
    np.testing.assert_allclose(est.decomposition_, ref.decomposition_, atol=0.02)


def test_fitted_attributes(and_fit):
    X, y, est = and_fit
    assert list(est.decomposition_.index) == ATOMS
    assert list(est.batch_std_.index) == ATOMS
    assert (est.batch_std_ >= 0).all()
    assert est.n_batches_ == math.ceil(3000 / 256)
    assert est.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    assert est.classes_.tolist() == [0, 1]
    np.testing.assert_allclose(est.class_prior_, np.bincount(y) / y.size)
    # AND's projections converge well within the cap (issue target: < 5 %)
    assert est.sinkhorn_cap_rate_ == 0
    assert est.sinkhorn_residual_ < est.sinkhorn_tol
    assert est.n_epochs_ >= 1
    history = est.net_.history
    assert "sinkhorn_capped" in history[-1]["batches"][-1]


def _out_of_fold_proba(est, X1, X2, y):
    """``p(. | x_i)`` ``(3, n, n_classes)`` of the three posteriors, each
    sample's from the fold model that did not see it, moved to the class
    prior, and averaged over identical rows: recomputed here from
    ``classifiers_`` and the folds."""
    _, folds = est._out_of_fold_values()
    proba = np.empty((3, y.size, est.classes_.size))
    X12 = np.hstack([X1, X2[:, est.joint_columns_]])
    for k, models in enumerate(est.classifiers_):
        test = folds == k
        fold_prior = np.bincount(y[~test], minlength=est.classes_.size) / (~test).sum()
        for m, (clf, X) in enumerate(zip(models, (X1, X2, X12))):
            p = clf.predict_proba(X[test]) * est.class_prior_ / fold_prior
            proba[m, test] = p / p.sum(1, keepdims=True)
    _, group = np.unique(np.hstack([X1, X2]), axis=0, return_inverse=True)
    for g in np.unique(group):
        proba[:, group == g] = proba[:, group == g].mean(1, keepdims=True)
    return _tempered(est, proba)


def _tempered(est, proba):
    """``p^t p(y)^(1-t)``, renormalised, with each posterior's calibration
    exponent ``t`` (``temperatures_``)."""
    t = est.temperatures_[:, None, None]
    p = proba**t * est.class_prior_ ** (1 - t)
    return p / p.sum(axis=2, keepdims=True)


def test_identities(and_fit):
    X, y, est = and_fit
    d = est.decomposition_
    assert len(est.classifiers_) == 5 and all(len(m) == 3 for m in est.classifiers_)
    # the informations, recomputed here from the fold posteriors (out-of-fold)
    X = X.astype(float)
    proba = _out_of_fold_proba(est, X[:, :2], X[:, 2:], y)[:, np.arange(y.size), y]
    expected = np.mean(np.log2(proba / est.class_prior_[y]), axis=1)
    np.testing.assert_allclose(
        [est.mi_1_, est.mi_2_, est.mi_joint_], expected, atol=1e-9
    )
    assert d["redundancy"] + d["unique_1"] == pytest.approx(est.mi_1_, abs=1e-10)
    assert d["redundancy"] + d["unique_2"] == pytest.approx(est.mi_2_, abs=1e-10)
    assert d.sum() == pytest.approx(est.mi_joint_, abs=1e-10)


def test_interactions_mean_is_the_decomposition(and_fit):
    X, y, est = and_fit
    inter = est.interactions(X, y)
    assert isinstance(inter, pd.DataFrame) and list(inter.columns) == ATOMS
    assert inter.shape == (3000, 4)
    np.testing.assert_allclose(inter.mean(), est.decomposition_, atol=1e-10)
    # per-sample identities: r + u1 = i1, r + u2 = i2, sum = i12
    X = X.astype(float)
    proba = _out_of_fold_proba(est, X[:, :2], X[:, 2:], y)[:, np.arange(3000), y]
    i1, i2, i12 = np.log2(proba / est.class_prior_[y])
    np.testing.assert_allclose(inter["redundancy"] + inter["unique_1"], i1, atol=1e-6)
    np.testing.assert_allclose(inter["redundancy"] + inter["unique_2"], i2, atol=1e-6)
    np.testing.assert_allclose(inter.sum(axis=1), i12, atol=1e-6)


def test_transform_is_the_posterior_expectation(and_fit):
    X, y, est = and_fit
    T = est.transform(X)
    assert T.shape == (3000, 4)
    proba = est.predict_proba(X)
    expected = sum(
        proba[:, [k]] * est.interactions(X, np.full(3000, k)).to_numpy()
        for k in range(2)
    )
    np.testing.assert_allclose(T, expected, atol=1e-10)
    # close to, not equal to, the dataset values
    np.testing.assert_allclose(T.mean(0), est.decomposition_, atol=0.02)


def test_fit_transform_equals_fit_then_transform():
    X, y = make_bitwise("redundant", 800, one_hot=True, random_state=0)
    est = PIDBatch(modalities=2, **FAST)
    np.testing.assert_array_equal(
        clone(est).fit_transform(X, y), clone(est).fit(X, y).transform(X)
    )


def test_determinism():
    X, y = make_bitwise("and", 800, one_hot=True, random_state=0)
    a = _fit(X, y, modalities=2, device="cpu")
    b = _fit(X, y, modalities=2, device="cpu")
    np.testing.assert_array_equal(a.decomposition_, b.decomposition_)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_output_api(and_fit):
    X, y, est = and_fit
    assert est.get_feature_names_out().tolist() == ATOMS
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-6)
    assert (est.predict(X) == y).mean() > 0.7
    score = est.score(X, y)
    assert score == pytest.approx(est.mi_joint_, abs=1e-9)
    out = clone(est).set_output(transform="pandas").fit(X, y).transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ATOMS


def test_dataframe_modalities(xor_fit):
    X, y, _ = xor_fit
    df = pd.DataFrame(X[:600], columns=["a0", "a1", "b0", "b1"])
    est = _fit(df, y[:600], modalities=(["a0", "a1"], ["b0", "b1"]))
    inter = est.interactions(df, y[:600])
    assert inter.index.equals(df.index)


def test_swapping_modalities_swaps_the_unique_parts():
    X, y = make_bitwise("unique_1", 2000, one_hot=True, random_state=0)
    a = _fit(X, y, modalities=2)
    b = _fit(X[:, [2, 3, 0, 1]], y, modalities=2)
    assert a.unique_1_ == pytest.approx(1.0, abs=0.02)
    assert b.unique_2_ == pytest.approx(a.unique_1_, abs=0.02)
    assert b.unique_1_ == pytest.approx(a.unique_2_, abs=0.02)
    assert b.redundancy_ == pytest.approx(a.redundancy_, abs=0.02)


def test_base_e_gives_nats(xor_fit):
    X, y, est = xor_fit
    nats = _fit(X, y, modalities=2, base=math.e)
    np.testing.assert_allclose(
        nats.decomposition_, est.decomposition_ * np.log(2), rtol=1e-6, atol=1e-9
    )


def test_user_classifiers():
    X, y = make_latent_modalities("redundancy", 1500, n_features_1=10, random_state=0)
    est = _fit(
        X,
        y,
        modalities=10,
        classifier_1=LogisticRegression(C=10),
        classifier_2=LogisticRegression(C=10),
        classifier_joint=LogisticRegression(C=10),
    )
    assert all(isinstance(clf, LogisticRegression) for clf in est.classifiers_[0])
    assert est.redundancy_ == est.decomposition_.max()


def test_classifiers_with_zero_probabilities_give_finite_values():
    # a depth-limited tree gives p = 0 to classes absent from a leaf
    X, y = make_bitwise("and", 1000, one_hot=True, random_state=0)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0)
    est = _fit(X, y, modalities=2, classifier_1=tree, classifier_2=tree)
    assert np.isfinite(est.decomposition_).all()
    assert np.isfinite(est.transform(X)).all()
    assert np.isfinite(est.interactions(X, y).to_numpy()).all()


# ---------------------------------------------------------- cross-fitting


def test_cv_none_is_the_former_estimator_bit_for_bit():
    # the values of tests/golden (pidbatch_gmm) stored before cross-fitting
    X, y = make_gaussian_mixture(1500, random_state=0)
    est = PIDBatch(max_epochs=2, classifier_max_epochs=20, random_state=0, cv=None)
    est.fit(X, y)
    expected = [0.6156508157274193, 0.09879349098742368, 0.15663213697933356]
    expected += [0.05920217855516174]
    np.testing.assert_array_equal(est.decomposition_, expected)
    mi = [0.7144443067148427, 0.7722829527067527, 0.9302786222493381]
    np.testing.assert_array_equal([est.mi_1_, est.mi_2_, est.mi_joint_], mi)
    # in-sample: one set of posteriors fitted on all the data, evaluated on it
    assert len(est.classifiers_) == 1
    proba = est.classifiers_[0][2].predict_proba(X)[np.arange(y.size), y]
    assert est.mi_joint_ == pytest.approx(
        np.mean(np.log2(proba / est.class_prior_[y])), abs=1e-9
    )
    np.testing.assert_array_equal(est.joint_columns_, [0])
    assert est.coupling_counts_.tolist() == [est.n_batches_, 0, 0, 0, 0, 0, 0]
    assert est._out_of_fold_values() == (None, None)


@pytest.fixture(scope="module")
def mixture_fit():
    """A cross-fitted fit (cv=3) of a Gaussian mixture with two classes."""
    X, y = make_gaussian_mixture(600, random_state=0)
    return X, y, _fit(X, y, cv=3, classifier_max_epochs=20, max_epochs=2)


def test_out_of_fold_values_average_to_the_decomposition(mixture_fit):
    X, y, est = mixture_fit
    values, folds = est._out_of_fold_values()
    assert values.shape == (600, 2, 7)
    assert folds.shape == (600,) and sorted(np.unique(folds)) == [0, 1, 2]
    at_labels = values[np.arange(600), y]
    expected = [*est.decomposition_, est.mi_1_, est.mi_2_, est.mi_joint_]
    np.testing.assert_allclose(at_labels.mean(0), expected, rtol=0, atol=1e-12)
    # every candidate label: the per-sample values of interactions
    for k in range(2):
        inter = est.interactions(X, np.full(600, k)).to_numpy()
        np.testing.assert_array_equal(values[:, k, :4], inter)
    # and the pointwise informations of the out-of-fold posteriors
    proba = _out_of_fold_proba(est, X[:, :1], X[:, 1:], y)
    mi = np.log2(proba / est.class_prior_).transpose(1, 2, 0)
    np.testing.assert_allclose(values[:, :, 4:], mi, atol=1e-9)
    # a copy: changing it changes nothing
    values[:] = 0
    assert np.abs(est._out_of_fold_values()[0]).max() > 0


def test_each_fold_model_sees_the_other_folds_only(mixture_fit):
    X, y, est = mixture_fit
    _, folds = est._out_of_fold_values()
    assert np.bincount(folds).tolist() == [200, 200, 200]  # stratified
    inputs = (X[:, :1], X[:, 1:], X)  # x1, x2, [x1, x2]
    for k, models in enumerate(est.classifiers_):
        for clf, Z in zip(models, inputs):
            # MLPPosterior standardises its inputs by its training rows
            np.testing.assert_allclose(clf.scaler_.mean_, Z[folds != k].mean(0))


def _fold_average_proba(est, X, y_fit):
    """``p(. | x)`` ``(3, n, n_classes)``: the fold posteriors, each moved to
    the class prior, averaged as probabilities."""
    _, folds = est._out_of_fold_values()
    inputs = (X[:, :1], X[:, 1:], X)
    proba = []
    for k, models in enumerate(est.classifiers_):
        counts = np.bincount(y_fit[folds != k])
        p = [
            clf.predict_proba(Z) * est.class_prior_ * counts.sum() / counts
            for clf, Z in zip(models, inputs)
        ]
        proba.append([q / q.sum(1, keepdims=True) for q in p])
    return _tempered(est, np.mean(proba, axis=0))


def test_new_data_uses_the_average_of_the_folds(mixture_fit):
    X, y, est = mixture_fit
    X_new, y_new = make_gaussian_mixture(50, random_state=1)
    expected = _fold_average_proba(est, X_new, y)
    np.testing.assert_allclose(est.predict_proba(X_new), expected[2], rtol=1e-12)
    # the per-sample informations of new rows come from the same averages
    i1, i2, i12 = np.log2(expected[:, np.arange(50), y_new] / est.class_prior_[y_new])
    inter = est.interactions(X_new, y_new)
    np.testing.assert_allclose(inter["redundancy"] + inter["unique_1"], i1, atol=1e-6)
    np.testing.assert_allclose(inter["redundancy"] + inter["unique_2"], i2, atol=1e-6)
    np.testing.assert_allclose(inter.sum(axis=1), i12, atol=1e-6)
    # fitting rows keep their out-of-fold values, also beside new rows
    joint_oof = _out_of_fold_proba(est, X[:, :1], X[:, 1:], y)[2]
    both = est.predict_proba(np.vstack([X[:20], X_new]))
    np.testing.assert_allclose(both[:20], joint_oof[:20], rtol=1e-12)
    np.testing.assert_allclose(both[20:], expected[2], rtol=1e-12)
    # which are not the fold average (that would include the fold that saw them)
    in_sample_average = _fold_average_proba(est, X[:20], y)[2]
    assert np.abs(both[:20] - in_sample_average).max() > 1e-4


def test_n_jobs_gives_the_same_numbers():
    X, y = make_gaussian_mixture(400, random_state=0)
    params = {"cv": 2, "classifier_max_epochs": 5, "max_epochs": 1}
    serial = _fit(X, y, **params)
    parallel = _fit(X, y, n_jobs=2, **params)
    np.testing.assert_array_equal(serial.decomposition_, parallel.decomposition_)
    np.testing.assert_array_equal(serial.transform(X), parallel.transform(X))
    np.testing.assert_array_equal(
        serial._out_of_fold_values()[0], parallel._out_of_fold_values()[0]
    )


def test_cv_accepts_splitters_and_is_validated():
    X, y = make_bitwise("xor", 400, one_hot=True, random_state=0)
    est = _fit(X, y, modalities=2, cv=StratifiedKFold(4), max_epochs=1)
    assert len(est.classifiers_) == 4
    assert np.bincount(est._out_of_fold_values()[1]).tolist() == [100] * 4
    with pytest.raises(ValueError, match="cv"):
        PIDBatch(modalities=2, cv="five").fit(X, y)
    with pytest.raises(ValueError, match="lacks a class"):
        PIDBatch(modalities=2, cv=KFold(2)).fit(X, np.sort(y))


def test_distinct_columns():
    rng = np.random.RandomState(0)
    X1 = rng.rand(30, 3)
    X2 = np.column_stack([X1[:, 2], rng.rand(30), X1[:, 0], X1[:, 0] + 1e-12])
    np.testing.assert_array_equal(distinct_columns(X1, X2), [1, 3])
    assert distinct_columns(X1, X1).size == 0


def test_matched_coupling_meets_the_targets():
    g = torch.Generator().manual_seed(0)
    log_p1 = torch.log_softmax(torch.randn(40, 3, generator=g, dtype=torch.float64), 1)
    log_p2 = torch.log_softmax(torch.randn(40, 3, generator=g, dtype=torch.float64), 1)
    log_prior = torch.log(torch.tensor([0.3, 0.3, 0.4], dtype=torch.float64))
    targets = torch.tensor([0.5, 0.5], dtype=torch.float64)
    rows, cols = batch_targets(log_p1, log_p2, log_prior, targets)
    q = matched_log_coupling(rows, cols, log_p1, log_p2).exp()
    np.testing.assert_allclose(q.sum(2), rows, atol=1e-12)
    np.testing.assert_allclose(q.sum(1), cols, atol=1e-12)
    # comonotone: for each label, no two pairs cross in the order of p(y|x)
    for y in range(3):
        i, j = np.nonzero(q[y].numpy() > 1e-200)
        a, b = log_p1[i, y].numpy(), log_p2[j, y].numpy()
        assert np.all(np.diff(b[np.lexsort((b, a))]) >= 0)
        assert i.size < 2 * 40  # a matching: at most m1 + m2 - 1 pairs


def test_matched_coupling_of_identical_posteriors_is_the_diagonal():
    g = torch.Generator().manual_seed(1)
    log_p = torch.log_softmax(torch.randn(50, 2, generator=g), 1)
    log_prior = torch.log(torch.tensor([0.5, 0.5]))
    targets = torch.tensor([0.2, 0.2])
    rows, cols = batch_targets(log_p, log_p, log_prior, targets)
    q = matched_log_coupling(rows, cols, log_p, log_p).exp().numpy()
    off_diagonal = q * (1 - np.eye(50))
    assert off_diagonal.max() < 1e-200
    g1, g2, info = coupling_terms(torch.log(torch.as_tensor(q)), log_prior.double())
    # I_q(X1, X2; Y) is then the (tilted) unimodal information of the batch
    r = rows.double().numpy()
    unimodal = np.sum(r * (np.log(r / r.sum(0)) - log_prior.double().numpy()[:, None]))
    assert float(info) == pytest.approx(unimodal, abs=1e-6)
    np.testing.assert_allclose(g1, g2, atol=1e-12)


@pytest.fixture(scope="module")
def breast_cancer_views():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data, data.target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_identical_views_have_no_unique_or_synergistic_information(
    seed, breast_cancer_views
):
    # the same 10 columns given twice: redundancy is all of I(X;Y), and
    # unique_1 = unique_2 = synergy = 0 exactly. Before cross-fitting (in-sample
    # posteriors, independent seeds, learned coupling only): 0.077, 0.074 and
    # -0.065 bits at seed 0.
    data, y = breast_cancer_views
    X = np.hstack([data[:, :10], data[:, :10]])
    mods = ([*range(10)], [*range(10, 20)])
    est = PIDBatch(modalities=mods, random_state=seed).fit(X, y)
    d = est.decomposition_
    _report(f"identical views, seed {seed}", d, [est.mi_1_, 0, 0, 0])
    assert est.joint_columns_.size == 0
    for atom in ("unique_1", "unique_2", "synergy"):
        assert abs(d[atom]) <= 0.02, d.to_dict()
    assert d["redundancy"] == pytest.approx(est.mi_1_, abs=0.02)
    # three identical posteriors in every fold (common random numbers)
    for models in est.classifiers_:
        p = [clf.predict_proba(data[:50, :10]) for clf in models]
        np.testing.assert_array_equal(p[0], p[1])
        np.testing.assert_array_equal(p[0], p[2])


# -------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.full((20, 2), np.nan), np.arange(20) % 2, "NaN"),
        (np.random.RandomState(0).rand(20, 2), np.zeros(20), "only one class"),
        (np.random.RandomState(0).rand(20, 2), np.linspace(0, 1, 20), "continuous"),
        (np.random.RandomState(0).rand(20, 2), np.arange(19) % 2, "inconsistent"),
        (np.c_[np.ones(20), np.arange(20.0)], np.arange(20) % 2, "constant"),
        (np.random.RandomState(0).rand(20, 3), np.arange(20) % 2, "modalities"),
    ],
)
def test_bad_input(X, y, message):
    with pytest.raises(ValueError, match=message):
        PIDBatch(**FAST).fit(X, y)


def test_bad_parameters():
    X, y = make_bitwise("and", 100, random_state=0)
    with pytest.raises(ValueError, match="base"):
        PIDBatch(base=1).fit(X, y)
    with pytest.raises(ValueError, match="batch_size"):
        PIDBatch(batch_size=0).fit(X, y)
    with pytest.raises(ValueError, match="classifier_1"):
        PIDBatch(classifier_1="logistic").fit(X, y)


def test_bad_input_after_fit(xor_fit):
    X, y, est = xor_fit
    with pytest.raises(ValueError, match="not seen in fit"):
        est.interactions(X[:10], np.full(10, 7))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.interactions(X[:10], y[:9])
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :3])


def test_rare_class_warns():
    X, y = make_bitwise("and", 300, one_hot=True, random_state=0)
    y = y.copy()
    y[:] = 0
    y[:3] = 1
    with pytest.warns(UserWarning, match="fewer than 5"):
        _fit(X, y, modalities=2, max_epochs=1, classifier_max_epochs=2, cv=None)
    # 3 samples cannot fill 5 folds: named, before anything is fitted
    with pytest.warns(UserWarning, match="fewer than 5"):
        with pytest.raises(ValueError, match="cv=5 needs at least 5 samples"):
            _fit(X, y, modalities=2)


# ---------------------------------------------------- generative datasets


def test_latent_redundancy_small_fit():
    X, y = make_latent_modalities("redundancy", 2000, random_state=0)
    est = _fit(X, y, modalities=20)
    assert est.decomposition_.idxmax() == "redundancy"


# ------------------------------------------------------------------ slow


BITWISE = ["and", "or", "xor", "redundant", "unique_1"]


def _report(name, got, ref):
    """Printed with ``-rP``: the measured values quoted in the report."""
    err = np.abs(np.asarray(got) - np.asarray(ref)).max()
    print(
        f"{name}: PIDBatch {np.round(got, 4).tolist()} reference "
        f"{np.round(ref, 4).tolist()} max error {err:.4f}"
    )


@pytest.mark.slow
@pytest.mark.parametrize("gate", BITWISE)
def test_bitwise_within_001_bits_of_cvx(gate):
    X, y = make_bitwise(gate, 10_000, one_hot=True, random_state=0)
    ref = PIDCVX(modalities=2, discretizer="discrete").fit(X, y)
    est = PIDBatch(modalities=2, random_state=0).fit(X, y)
    _report(gate, est.decomposition_, ref.decomposition_)
    np.testing.assert_allclose(est.decomposition_, ref.decomposition_, atol=0.01)
    assert est.sinkhorn_cap_rate_ <= 0.05


def _random_table_samples(seed, n=10_000):
    rng = np.random.RandomState(seed)
    n1, n2, ny = rng.randint(2, 5), rng.randint(2, 5), rng.randint(2, 4)
    p = rng.dirichlet(np.ones(n1 * n2 * ny)).reshape(n1, n2, ny)
    cells = rng.choice(p.size, size=n, p=p.ravel())
    a, b, y = np.unravel_index(cells, p.shape)
    X = np.hstack([np.eye(n1)[a], np.eye(n2)[b]]).astype(float)
    return X, y, n1


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_tables_within_003_bits_of_cvx(seed):
    X, y, n1 = _random_table_samples(seed)
    ref = PIDCVX(modalities=n1, discretizer="discrete").fit(X, y)
    est = PIDBatch(modalities=n1, random_state=0).fit(X, y)
    _report(f"table {seed}", est.decomposition_, ref.decomposition_)
    np.testing.assert_allclose(est.decomposition_, ref.decomposition_, atol=0.03)


GMM_ANGLES = [0.0, np.pi / 8, np.pi / 4]


@pytest.fixture(scope="module")
def gmm_reference():
    """PIDCVX on 50 uniform bins over [-5, 5]^2 of 10^6 samples, per angle
    (about 10 s each)."""
    out = {}
    for angle in GMM_ANGLES:
        X, y = make_gaussian_mixture(1_000_000, angle=angle, random_state=12345)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = PIDCVX(discretizer="uniform", n_bins=50, bin_range=(-5, 5)).fit(X, y)
        out[angle] = est.decomposition_
    return out


@pytest.mark.slow
@pytest.mark.parametrize("angle", [0.0, np.pi / 8])
def test_gmm_within_002_bits_of_cvx(angle, gmm_reference):
    X, y = make_gaussian_mixture(20_000, angle=angle, random_state=0)
    est = PIDBatch(random_state=0).fit(X, y)
    _report(f"gmm {angle:.3f}", est.decomposition_, gmm_reference[angle])
    np.testing.assert_allclose(est.decomposition_, gmm_reference[angle], atol=0.02)


@pytest.mark.slow
def test_gmm_quarter_pi_within_003_bits_of_cvx(gmm_reference):
    # the measured bias of the batch coupling there is ~0.02 bits (docstring)
    X, y = make_gaussian_mixture(20_000, angle=np.pi / 4, random_state=0)
    est = PIDBatch(random_state=0).fit(X, y)
    ref = gmm_reference[np.pi / 4]
    np.testing.assert_allclose(est.decomposition_, ref, atol=0.03)
    assert abs(est.unique_1_ - est.unique_2_) <= 0.02


@pytest.mark.slow
@pytest.mark.parametrize("kind", ATOMS)
def test_latent_datasets_dominant_term(kind):
    X, y = make_latent_modalities(kind, 10_000, random_state=0)
    est = PIDBatch(modalities=20, random_state=0).fit(X, y)
    d = est.decomposition_
    print(kind, d.round(4).tolist(), round(est.mi_joint_, 4))
    assert d.idxmax() == kind
    # the designed term holds most of the (exactly 1 bit of) information
    assert d[kind] >= 0.6 * est.mi_joint_, d.to_dict()


@pytest.mark.slow
def test_latent_mixture():
    X, y = make_latent_modalities(("redundancy", "unique_1"), 10_000, random_state=0)
    est = PIDBatch(modalities=20, random_state=0).fit(X, y)
    d = est.decomposition_
    assert d["redundancy"] > 0.6 and d["unique_1"] > 0.6, d.to_dict()


# ------------------------------------------------------------------- GPU


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_fit_matches_cpu_closely():
    X, y = make_bitwise("xor", 2000, one_hot=True, random_state=0)
    est = PIDBatch(modalities=2, device="cuda", **FAST).fit(X, y)
    assert est.device_ == "cuda"
    assert est.synergy_ == pytest.approx(1.0, abs=0.02)
    T = est.transform(X)
    assert isinstance(T, np.ndarray) and T.shape == (2000, 4)
    # a CUDA-fitted estimator pickles; its arrays are NumPy
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(again.transform(X), T)
