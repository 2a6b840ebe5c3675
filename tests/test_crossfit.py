"""Tests of the cross-fitting kernels (sklearn_pid/_crossfit.py)."""

import numpy as np
import pytest
from sklearn.model_selection import KFold, RepeatedStratifiedKFold

from sklearn_pid._crossfit import (
    OutOfFold,
    log_mean,
    make_folds,
    move_to_prior,
    row_hashes,
)

#: 12 samples: 8 of class 0, 4 of class 1.
Y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])


# -- make_folds -----------------------------------------------------------------


def test_int_cv_gives_a_stratified_partition():
    folds = make_folds(4, Y, 2, np.random.RandomState(0))
    assert len(folds) == 4
    tested = np.sort(np.concatenate([test for _, test in folds]))
    np.testing.assert_array_equal(tested, np.arange(Y.size))
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0
        assert np.bincount(Y[test]).tolist() == [2, 1]  # 8 / 4 and 4 / 4


def test_int_cv_is_seeded_by_the_random_state():
    a = make_folds(3, Y, 2, np.random.RandomState(5))
    b = make_folds(3, Y, 2, np.random.RandomState(5))
    for (train_a, test_a), (train_b, test_b) in zip(a, b):
        np.testing.assert_array_equal(test_a, test_b)
        np.testing.assert_array_equal(train_a, train_b)


def test_int_cv_larger_than_the_smallest_class_is_named():
    with pytest.raises(ValueError, match="cv=5 needs at least 5 samples of every"):
        make_folds(5, Y, 2, np.random.RandomState(0))


def test_folds_that_are_not_a_partition_are_rejected():
    repeated = RepeatedStratifiedKFold(n_splits=2, n_repeats=2, random_state=0)
    with pytest.raises(ValueError, match="exactly one test fold"):
        make_folds(repeated, Y, 2, np.random.RandomState(0))


def test_a_training_fold_without_a_class_is_rejected():
    # unshuffled 3-fold: the last test fold holds all of class 1
    with pytest.raises(ValueError, match="A training fold of cv=.* lacks a class"):
        make_folds(KFold(3), Y, 2, np.random.RandomState(0))


# -- move_to_prior --------------------------------------------------------------


def test_move_to_prior_is_bayes_rule():
    post = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    fold_labels = np.array([0, 0, 0, 0, 1, 1, 1, 2])  # p_fold = 1/2, 3/8, 1/8
    prior = np.array([0.2, 0.3, 0.5])
    expected = post * prior / np.array([1 / 2, 3 / 8, 1 / 8])
    expected /= expected.sum(axis=1, keepdims=True)
    moved = move_to_prior(np.log(post), fold_labels, np.log(prior))
    np.testing.assert_allclose(np.exp(moved), expected, rtol=1e-14)


def test_move_to_the_fold_frequencies_changes_nothing():
    post = np.array([[0.6, 0.4], [0.1, 0.9]])
    fold_labels = np.array([0, 1, 1, 1])
    moved = move_to_prior(np.log(post), fold_labels, np.log([0.25, 0.75]))
    np.testing.assert_allclose(moved, np.log(post), rtol=0, atol=1e-15)


# -- log_mean -------------------------------------------------------------------


def test_log_mean_is_the_log_of_the_mean(rng):
    logs = rng.normal(size=(3, 5, 2))
    for axis in (0, 1):
        expected = np.log(np.mean(np.exp(logs), axis=axis))
        # logs of order 1 computed two ways: rounding only (absolute: some
        # are near 0)
        np.testing.assert_allclose(
            log_mean(logs, axis=axis), expected, rtol=0, atol=1e-14
        )


def test_log_mean_of_tiny_probabilities_stays_finite():
    logs = np.array([-1000.0, -1000.0 + np.log(3)])  # exp underflows to 0
    assert log_mean(logs) == pytest.approx(-1000.0 + np.log(2), rel=1e-15)


# -- row hashes and the out-of-fold table ---------------------------------------


def test_row_hashes_tell_rows_apart():
    X1 = np.array([[0.0], [1.0], [0.0], [0.0]])
    X2 = np.array([[5.0, 6.0], [5.0, 6.0], [5.0, 6.0], [6.0, 5.0]])
    hashes = row_hashes(X1, X2)
    assert hashes.shape == (4,)
    assert hashes[0] == hashes[2]  # the same row
    assert len({hashes[0], hashes[1], hashes[3]}) == 3  # x1 differs, x2 swapped


def test_out_of_fold_values_of_identical_rows_are_averaged():
    X1 = np.array([[0.0], [1.0], [0.0]])
    X2 = np.array([[2.0], [2.0], [2.0]])  # rows 0 and 2 are identical
    post = np.array([[0.9, 0.1], [0.5, 0.5], [0.5, 0.5]])
    log_post = np.log(np.stack([post, post[:, ::-1], post]))  # (3, n, K)
    log_dens = np.log([[0.2, 0.3, 0.4], [1.0, 2.0, 3.0]])  # (2, n)
    table = OutOfFold(X1, X2, log_post, log_dens)
    assert len(table.rows) == 2
    codes = table.lookup(X1, X2)
    assert codes[0] == codes[2] != codes[1]
    # the probabilities (and densities) of rows 0 and 2 averaged
    np.testing.assert_allclose(
        np.exp(table.log_post[0, codes[0]]), [0.7, 0.3], rtol=1e-15
    )
    np.testing.assert_allclose(
        np.exp(table.log_post[1, codes[0]]), [0.3, 0.7], rtol=1e-15
    )
    np.testing.assert_allclose(np.exp(table.log_dens[:, codes[0]]), [0.3, 2.0])
    # a row seen once keeps its values
    np.testing.assert_allclose(table.log_post[:, codes[1]], log_post[:, 1])
    np.testing.assert_allclose(table.log_dens[:, codes[1]], log_dens[:, 1])


def test_out_of_fold_lookup_of_new_rows():
    X1, X2 = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    table = OutOfFold(X1, X2, np.zeros((3, 2, 2)), np.zeros((2, 2)))
    codes = table.lookup(
        np.array([[1.0], [7.0], [0.0]]), np.array([[3.0], [3.0], [2.0]])
    )
    assert codes[0] == table.lookup(X1[1:], X2[1:])[0]
    assert codes[1] == -1  # a new row
    assert codes[2] == table.lookup(X1[:1], X2[:1])[0]
    assert table.lookup(np.empty((0, 1)), np.empty((0, 1))).shape == (0,)
