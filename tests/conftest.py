"""Shared fixtures of the test suite.

``data`` and ``fitted_estimator`` serve the tests that run over the registry
of cheap estimators (tests/estimators.py): ``fitted_estimator(name)`` fits the
registry's estimator on ``data`` at most once per test module.
"""

import warnings

import numpy as np
import pytest
import torch
from estimators import make
from helpers import Data, two_modalities


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One intra-op torch thread for the module's tests: on a shared 2-core
    machine, two spinning OpenMP threads make small networks ~5x slower
    (measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def data():
    """160 fitting rows and 40 new rows of two one-column modalities
    (``modalities=1``), read-only so that no test can change them."""
    X, y = two_modalities(160, 0)
    X_new, y_new = two_modalities(40, 1)
    for array in (X, y, X_new, y_new):
        array.setflags(write=False)
    return Data(X, y, X_new, y_new)


@pytest.fixture(scope="module")
def fitted_estimator(data):
    """``fitted_estimator(name)``: the registry's ``name`` fitted on ``data``,
    shared by the tests of a module (they must not modify it)."""
    cache = {}

    def get(name):
        if name not in cache:
            with warnings.catch_warnings():
                # PIDCVX's cheap 3 x 3 bins on 160 rows: valid, but it warns
                warnings.filterwarnings("ignore", "The plug-in bias", UserWarning)
                cache[name] = make(name).fit(data.X, data.y)
        return cache[name]

    return get
