"""Tests of the scale-safe standardisation (sklearn_pid/_standardize.py)."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from sklearn_pid._standardize import LIMIT, Standardizer, power_of_two_scale


@pytest.fixture
def X(rng):
    """Ordinary data: columns of different scales, means within a few
    standard deviations of 0 (standardisation then loses no digits)."""
    return rng.normal(size=(200, 3)) * [1.0, 30.0, 1e-3] + [0.0, -50.0, 2e-3]


def _is_power_of_two(values):
    mantissa, _ = np.frexp(values)
    return np.all(mantissa == 0.5)


# -- power_of_two_scale ---------------------------------------------------------


def test_ordinary_and_zero_columns_are_not_rescaled(X):
    with_zero = np.column_stack([X, np.zeros(len(X))])
    np.testing.assert_array_equal(power_of_two_scale(with_zero), 1.0)


@pytest.mark.parametrize("factor", [1e300, 2.0**700, 1e-300, 2.0**-700])
def test_extreme_columns_get_an_exact_power_of_two(X, factor):
    X = X.copy()
    X[:, 1] *= factor
    scale = power_of_two_scale(X)
    assert scale[0] == scale[2] == 1.0
    assert _is_power_of_two(scale[1]) and scale[1] != 1.0
    # the largest magnitude of the column lands in [1, 2)
    assert 1.0 <= np.abs(X[:, 1]).max() / scale[1] < 2.0


def test_the_documented_limits_are_where_rescaling_starts():
    peaks = np.array([[2.0**LIMIT, 2.0**-LIMIT, 2.0**LIMIT * 1.5, 2.0**-LIMIT * 0.75]])
    np.testing.assert_array_equal(power_of_two_scale(peaks)[:2], 1.0)
    assert (power_of_two_scale(peaks)[2:] != 1.0).all()


# -- Standardizer ---------------------------------------------------------------


def test_standardizer_is_standard_scaler_on_ordinary_data(X, rng):
    weights = rng.random(len(X))
    for sample_weight in (None, weights):
        ours = Standardizer().fit(X, sample_weight=sample_weight)
        theirs = StandardScaler().fit(X, sample_weight=sample_weight)
        np.testing.assert_array_equal(ours.pow2_, 1.0)
        np.testing.assert_array_equal(ours.mean_, theirs.mean_)
        np.testing.assert_array_equal(ours.scale_, theirs.scale_)
        np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))


@pytest.mark.parametrize("exponent", [700, -700])
def test_power_of_two_scaled_data_give_the_same_numbers(X, exponent):
    expected = StandardScaler().fit_transform(X)
    scaled = X * 2.0**exponent
    got = Standardizer().fit(scaled).transform(scaled)
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("factor", [1e300, 1e-300])
def test_extreme_data_give_finite_numbers_close_to_the_unscaled(X, factor):
    expected = StandardScaler().fit_transform(X)
    scaled = X * factor
    got = Standardizer().fit(scaled).transform(scaled)
    assert np.isfinite(got).all()
    # X * 1e300 is rounded to the nearest float: an ulp of relative error in
    # each value (measured: 2.2e-15 absolute on values of order 3)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


@pytest.mark.parametrize("factor", [1.0, 2.0**700, 1e-300])
def test_inverse_transform_round_trip(X, factor):
    scaled = X * factor
    standardizer = Standardizer().fit(scaled)
    back = standardizer.inverse_transform(standardizer.transform(scaled))
    # (x - mean) / scale * scale + mean: a few roundings of each value
    # (measured: 6e-15 relative)
    np.testing.assert_allclose(back, scaled, rtol=1e-13, atol=0)
