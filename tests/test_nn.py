"""Tests of the torch building blocks: KNIFE, KNIFEDensity, MLPPosterior, training."""

import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture

from sklearn_pid.nn import KNIFE, KNIFEDensity, MLPPosterior
from sklearn_pid.nn._common import draw_seed
from sklearn_pid.nn._knife import COVARIANCE_TYPES, _mixture_init
from sklearn_pid.nn._mlp import MLP, fit_stacked
from sklearn_pid.nn._train import resolve_device, torch_seed


def _two_blobs(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 4))
    Z[:, 1] += Z[:, 0]  # correlated columns
    Z[: n // 2] += 2.0
    return Z


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_knife_is_the_gaussian_mixture_density(covariance_type):
    """With EM's parameters, KNIFE's log-density is GaussianMixture's."""
    Z = _two_blobs()
    init = _mixture_init(Z, 3, covariance_type, seed=0)
    gmm = GaussianMixture(
        3, covariance_type=covariance_type, reg_covar=1e-4, random_state=0
    ).fit(Z)
    with torch.no_grad():
        got = KNIFE(**init)(torch.as_tensor(Z, dtype=torch.float32)).numpy()
    # float32 arithmetic on log-densities of size ~10: agreement to ~1e-4.
    np.testing.assert_allclose(got, gmm.score_samples(Z), atol=5e-4)


def test_knife_density_of_a_standard_normal():
    X = np.random.default_rng(0).normal(size=(20000, 1))
    density = KNIFEDensity(n_kernels=1, random_state=0).fit(X)
    # Differential entropy of N(0, 1): 0.5 log(2 pi e) = 1.4189 nats; the
    # sampling standard error of the mean of -log p(x) at n = 2e4 is 0.005.
    assert -density.score(X) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e), abs=0.02
    )


def test_knife_entropy_is_in_the_units_of_x():
    X = _two_blobs(2000)
    a = KNIFEDensity(n_kernels=2, max_epochs=20, random_state=0).fit(X)
    b = KNIFEDensity(n_kernels=2, max_epochs=20, random_state=0).fit(10 * X)
    # log p(10 x) = log p(x) - 4 log 10 (4 columns), up to float32 rounding.
    np.testing.assert_allclose(
        b.score_samples(10 * X), a.score_samples(X) - 4 * math.log(10), atol=1e-3
    )


def test_knife_ignores_constant_columns():
    X = _two_blobs(1000)
    # 0.1 is not exact in binary: X.std() of the column is ~1e-17, not 0.
    with_constant = np.hstack([X, np.full((1000, 1), 0.1)])
    density = KNIFEDensity(n_kernels=2, max_epochs=5, random_state=0).fit(with_constant)
    assert density.support_.tolist() == [True] * 4 + [False]
    alone = KNIFEDensity(n_kernels=2, max_epochs=5, random_state=0).fit(X)
    np.testing.assert_allclose(
        density.score_samples(with_constant), alone.score_samples(X), atol=1e-6
    )
    with pytest.raises(ValueError, match="Every column of X is constant"):
        KNIFEDensity().fit(np.ones((10, 2)))


def test_mlp_posterior_is_calibrated_on_a_linear_problem():
    """On logistic data the MLP's log-probabilities track the true ones."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 3))
    logit = X @ np.array([1.5, -1.0, 0.5])
    y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(int)
    clf = MLPPosterior(random_state=0).fit(X[:3000], y[:3000])
    true = np.column_stack([-np.logaddexp(0, logit), -np.logaddexp(0, -logit)])[3000:]
    got = clf.predict_log_proba(X[3000:])
    reference = LogisticRegression().fit(X[:3000], y[:3000]).predict_log_proba(X[3000:])
    mae = np.abs(got - true).mean()
    # Within 50 % of the well-specified model's own error (~0.02 nats).
    assert mae <= 1.5 * np.abs(reference - true).mean()
    np.testing.assert_allclose(np.exp(got).sum(axis=1), 1.0)
    assert clf.n_epochs_ < clf.max_epochs  # early stopping ended training


def test_knife_keeps_its_em_start_when_training_moves_away():
    """EM on all rows (validation rows included) is a likelihood maximum: the
    first gradient epoch on the training rows moves away from it, so training
    stops there and the fitted density is EM's."""
    X = _two_blobs(2000)
    density = KNIFEDensity(n_kernels=2, covariance_type="tied", random_state=0)
    density.fit(X)
    assert density.n_epochs_ == 1
    seed = draw_seed(0)  # as fit draws it
    Z = ((X / density.pow2_ - density.mean_) / density.scale_).astype(np.float32)
    rows = np.random.RandomState(seed).permutation(Z.shape[0])
    init = _mixture_init(Z[rows], 2, "tied", seed)
    module = density.net_.module_
    np.testing.assert_array_equal(module.means.detach(), np.float32(init["means"]))
    np.testing.assert_array_equal(
        module.log_precision.detach(), np.float32(init["log_precision"])
    )


def _labelled_blobs(n=600, seed=0):
    X = _two_blobs(n, seed)
    return X, (X[:, 0] + 0.5 * X[:, 2] > 1).astype(int)


@pytest.mark.parametrize("lr", [3e-3, 1e30])
def test_a_stack_of_one_is_the_posterior_alone(lr):
    """fit_stacked trains, stops and restores each network as MLPPosterior.fit
    would alone: with one network, the same numbers (also when it diverges
    and never improves: then both keep the last, NaN, weights)."""
    X, y = _labelled_blobs()
    alone = MLPPosterior(lr=lr, random_state=3).fit(X, y)
    (stacked,) = fit_stacked([MLPPosterior(lr=lr, random_state=3)], [X], y)
    assert stacked.n_epochs_ == alone.n_epochs_ < alone.max_epochs
    np.testing.assert_array_equal(
        stacked.predict_log_proba(X), alone.predict_log_proba(X)
    )
    if lr > 1:
        assert np.isnan(stacked.predict_log_proba(X)).all()
        return
    # pickled as a posterior fitted alone (its net built from the MLP class)
    copy = pickle.loads(pickle.dumps(stacked))
    assert copy.net_.module is MLP
    np.testing.assert_array_equal(copy.predict_log_proba(X), alone.predict_log_proba(X))
    # its own validation losses, summed in float64 rather than float32
    np.testing.assert_allclose(
        stacked.net_.history[:, "valid_loss"],
        alone.net_.history[:, "valid_loss"],
        rtol=1e-6,
    )


def test_networks_of_a_stack_do_not_interact():
    """A network's result does not depend on the data of the others."""
    X, y = _labelled_blobs()
    noise = np.random.default_rng(1).normal(size=X[:, :2].shape)
    first = fit_stacked(
        [MLPPosterior(random_state=0), MLPPosterior()], [X[:, :2], X], y
    )
    second = fit_stacked([MLPPosterior(random_state=0), MLPPosterior()], [noise, X], y)
    np.testing.assert_array_equal(
        first[1].predict_log_proba(X), second[1].predict_log_proba(X)
    )
    assert first[1].n_epochs_ == second[1].n_epochs_
    assert first[0].n_features_in_ == 2 and first[1].n_features_in_ == 4
    assert not np.array_equal(
        first[0].predict_log_proba(X[:, :2]), second[0].predict_log_proba(X[:, :2])
    )


def test_predictions_do_not_depend_on_the_batch():
    """CPU inference runs in float64: a row's output ignores its batch-mates."""
    X = _two_blobs(500)
    y = (X[:, 0] > 1).astype(int)
    clf = MLPPosterior(max_epochs=5, batch_size=7, random_state=0).fit(X, y)
    whole = clf.predict_log_proba(X)
    parts = np.vstack([clf.predict_log_proba(X[:100]), clf.predict_log_proba(X[100:])])
    np.testing.assert_allclose(whole, parts, rtol=1e-12)


def test_seeding_leaves_the_callers_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with torch_seed(0):
        torch.rand(100)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_training_returns_numpy():
    X = _two_blobs(500)
    y = (X[:, 0] > 1).astype(int)
    clf = MLPPosterior(max_epochs=3, device="cuda", random_state=0).fit(X, y)
    assert isinstance(clf.predict_proba(X), np.ndarray)
    density = KNIFEDensity(max_epochs=3, device="cuda", random_state=0).fit(X)
    assert isinstance(density.score_samples(X), np.ndarray)
