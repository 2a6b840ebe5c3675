"""Same ``random_state``, same numbers: bit for bit against values stored from
``main`` before the estimators shared one base class (tests/golden/cases.py)."""

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.golden.cases import HERE, cases, outputs

STORED = np.load(HERE / "values.npz")
CASES = list(cases())


@pytest.mark.parametrize("name, estimator, X, y", CASES, ids=[c[0] for c in CASES])
def test_same_numbers_as_before(name, estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = outputs(name, estimator, X, y)
    assert sorted(values) == sorted(k for k in STORED.files if k.startswith(name + "/"))
    for key, value in values.items():
        np.testing.assert_array_equal(value, STORED[key], err_msg=key)


@pytest.mark.slow
def test_demo_table_same_numbers_as_before():
    from sklearn_pid.demo import demo_table

    stored = pd.read_csv(HERE / "demo.csv", index_col=[0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = demo_table(seed=0).drop(columns="seconds")
    pd.testing.assert_frame_equal(table, stored, check_exact=True, check_names=False)
