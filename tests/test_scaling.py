"""Scaling out: pickling, fit-time devices, parallel and distributed use.

Every public estimator must pickle before and after ``fit`` (the round trip
of a fitted estimator is checked in tests/test_contract.py), keep no global
state, and resolve its device at ``fit``, so that joblib's process backends
(``loky``) and Dask workers can clone, fit and apply it. The Dask tests start a
local cluster of two worker processes on the loopback interface.

Equality with the local results is exact: every estimator seeds its own
random streams from ``random_state`` (the folds' seeds are drawn before the
folds are dispatched, so they do not depend on ``n_jobs``), small networks
train on one torch thread whatever the process, and CPU inference runs in
float64, row by row independent of the batch. The only tolerance is on
chunked ``transform`` output (``rtol=1e-12``): a float64 matrix product of
a different batch shape may round the last bit differently, while anything
that really depended on the other rows of a chunk would differ by far more.
"""

import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
import torch
from estimators import ESTIMATORS, NEURAL, make
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted

CUDA = torch.cuda.is_available()

# PIDCVX on these few samples: valid estimates, but it warns of their bias.
pytestmark = pytest.mark.filterwarnings("ignore:The plug-in bias:UserWarning")

# The estimators are the registry's (tests/estimators.py), fitted on the shared
# ``data`` (conftest.py); the output compared for each:
OUTPUT = {
    "PIDCVX": "transform",
    "LSMIEstimator": "transform",
    "PIDBatch": "transform",
    "DMIClassifier": "transform",
    "JointFusionClassifier": "predict_proba",
    "EnsembleFusionClassifier": "predict_proba",
    "MLPPosterior": "predict_proba",
    "KNIFEDensity": "score_samples",
}


def _output(estimator, name, X):
    return getattr(estimator, OUTPUT[name])(X)


def _global_state():
    """Process-wide state that fitting must leave as it found it."""
    return (
        torch.random.get_rng_state(),
        torch.get_num_threads(),
        torch.get_default_dtype(),
        np.random.get_state()[1].copy(),
    )


def test_every_estimator_has_an_output():
    assert OUTPUT.keys() == ESTIMATORS.keys()


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_unfitted_pickle_fits_the_same_model(name, data, fitted_estimator):
    estimator = make(name)
    unfitted = pickle.loads(pickle.dumps(estimator))
    assert unfitted.get_params() == estimator.get_params()
    with pytest.raises(NotFittedError):
        check_is_fitted(unfitted)
    # The unpickled unfitted copy, fitted after other fits in this process,
    # gives the same model: nothing carries over between fits.
    expected = _output(fitted_estimator(name), name, data.X_new)
    assert_array_equal(
        _output(unfitted.fit(data.X, data.y), name, data.X_new), expected
    )


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_fit_leaves_the_global_state_alone(name, data):
    before = _global_state()
    make(name).fit(data.X, data.y)
    after = _global_state()
    assert torch.equal(after[0], before[0]), "fit changed torch's global RNG"
    assert after[1:3] == before[1:3], "fit changed torch's threads or dtype"
    assert_array_equal(after[3], before[3], err_msg="fit changed NumPy's global RNG")


@pytest.mark.parametrize("name", [name for name in ESTIMATORS if name != "PIDBatch"])
def test_output_is_row_wise(name, data, fitted_estimator):
    # What makes a chunked (map_blocks, ParallelPostFit) transform or predict
    # equal to the whole one. PIDBatch couples the rows of a batch: not row-wise.
    estimator = fitted_estimator(name)
    X_all = np.vstack([data.X, data.X_new])
    chunks = [_output(estimator, name, rows) for rows in np.array_split(X_all, 4)]
    assert_allclose(
        np.concatenate(chunks), _output(estimator, name, X_all), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("name", NEURAL)
def test_device_resolved_at_fit(name, fitted_estimator):
    estimator = make(name)
    assert estimator.get_params()["device"] == "auto"
    assert not hasattr(estimator, "device_")
    estimator = fitted_estimator(name)
    assert estimator.get_params()["device"] == "auto"
    assert clone(estimator).get_params()["device"] == "auto"
    assert estimator.device_ == ("cuda" if CUDA else "cpu")


@pytest.mark.skipif(CUDA, reason="checks the error raised without CUDA")
@pytest.mark.parametrize("name", NEURAL)
def test_cuda_checked_at_fit_not_at_construction(name, data):
    # A CUDA estimator can be built, cloned and pickled on a machine without a
    # GPU (e.g. a scheduler or client node); only its fit needs the device.
    estimator = pickle.loads(pickle.dumps(make(name, device="cuda")))
    assert clone(estimator).get_params()["device"] == "cuda"
    with pytest.raises(ValueError, match="CUDA is not available"):
        estimator.fit(data.X, data.y)


# A fitted CUDA model, unpickled in a process that sees no GPU, runs on the
# CPU (skorch maps its tensors there). Needs a GPU: run with `-m gpu`.
_LOAD_ON_CPU = """
import pickle, sys, warnings
import numpy as np
import torch
assert not torch.cuda.is_available()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # skorch's DeviceWarning: loaded on the CPU
    estimator = pickle.load(sys.stdin.buffer)
X = np.load(sys.argv[1])
np.save(sys.argv[2], getattr(estimator, sys.argv[3])(X))
"""


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("name", NEURAL)
def test_cuda_fit_loads_on_cpu(name, data, tmp_path):
    estimator = make(name, device="cuda").fit(data.X, data.y)
    assert estimator.device_.startswith("cuda")
    expected = _output(estimator, name, data.X_new)
    np.save(tmp_path / "X.npy", data.X_new)
    subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_ON_CPU,
            str(tmp_path / "X.npy"),
            str(tmp_path / "out.npy"),
            OUTPUT[name],
        ],
        input=pickle.dumps(estimator),
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        check=True,
    )
    # float32 CUDA inference against float64 CPU inference; PIDBatch's Sinkhorn
    # stops at a relative residual of 1e-3, and the two devices may stop at
    # different iterations: per-sample values then differ by O(1e-3) bits.
    tol = 5e-3 if name == "PIDBatch" else 1e-4
    assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=tol, atol=tol)


# -- model selection in parallel ----------------------------------------------

SEARCHES = {
    "LSMIEstimator": (
        make("LSMIEstimator", cv=None),
        {"max_epochs": [2, 5], "covariance_type": ["tied", "diag"]},
    ),
    "PIDCVX": (make("PIDCVX"), {"n_bins": [2, 3], "alpha": [0.5, 1.0]}),
}


def _search(name, n_jobs, data):
    estimator, grid = SEARCHES[name]
    return GridSearchCV(estimator, grid, cv=2, n_jobs=n_jobs).fit(data.X, data.y)


@pytest.fixture(scope="module")
def sequential_searches(data):
    return {name: _search(name, 1, data) for name in SEARCHES}


def _assert_same_search(search, reference, X_new):
    assert search.best_params_ == reference.best_params_
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        assert_array_equal(search.cv_results_[key], reference.cv_results_[key])
    assert_array_equal(
        search.cv_results_["rank_test_score"], reference.cv_results_["rank_test_score"]
    )
    name = type(reference.best_estimator_).__name__
    assert_array_equal(
        search.best_estimator_.transform(X_new),
        reference.best_estimator_.transform(X_new),
        err_msg=name,
    )


@pytest.mark.parametrize("name", list(SEARCHES))
def test_grid_search_loky_matches_sequential(name, data, sequential_searches):
    with joblib.parallel_backend("loky"):
        search = _search(name, 2, data)
    _assert_same_search(search, sequential_searches[name], data.X_new)


def test_grid_search_threads_match_sequential(data, sequential_searches):
    # Threads of one process share torch's global generator: fits take turns
    # in their seeded blocks, so the numbers do not depend on the schedule.
    with joblib.parallel_backend("threading"):
        search = _search("LSMIEstimator", 2, data)
    _assert_same_search(search, sequential_searches["LSMIEstimator"], data.X_new)


# -- Dask ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("name", list(SEARCHES))
def test_grid_search_dask_matches_sequential(
    name, data, sequential_searches, dask_client
):
    with joblib.parallel_backend("dask"):
        search = _search(name, 2, data)
    _assert_same_search(search, sequential_searches[name], data.X_new)


@pytest.fixture(scope="module")
def lsmi_and_large_X(data, fitted_estimator):
    """A fitted LSMIEstimator and rows to transform: fitting rows and new ones."""
    return fitted_estimator("LSMIEstimator"), np.vstack([data.X, data.X_new])


def test_dask_map_blocks_transform(lsmi_and_large_X, dask_client):
    da = pytest.importorskip("dask.array")
    estimator, X_all = lsmi_and_large_X
    X_dask = da.from_array(X_all, chunks=(X_all.shape[0] // 4, X_all.shape[1]))
    assert X_dask.numblocks == (4, 1)
    interactions = X_dask.map_blocks(
        estimator.transform, dtype=np.float64, chunks=(X_dask.chunks[0], (4,))
    )
    result = dask_client.compute(interactions).result()
    assert result.shape == (X_all.shape[0], 4)
    assert_allclose(result, estimator.transform(X_all), rtol=1e-12, atol=1e-12)


def test_dask_ml_parallel_post_fit_transform(lsmi_and_large_X, dask_client):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    da = pytest.importorskip("dask.array")
    estimator, X_all = lsmi_and_large_X
    X_dask = da.from_array(X_all, chunks=(X_all.shape[0] // 4, X_all.shape[1]))
    wrapped = wrappers.ParallelPostFit(estimator)
    result = dask_client.compute(wrapped.transform(X_dask)).result()
    assert_allclose(result, estimator.transform(X_all), rtol=1e-12, atol=1e-12)
