"""Tests of the discrete-table kernels (sklearn_pid/_tables.py) against
values computed by hand."""

import math
import warnings

import numpy as np
import pytest
from helpers import ATOMS

from sklearn_pid._broja import solve_broja
from sklearn_pid._information import pid_from_tables
from sklearn_pid._tables import (
    NEGATIVE_TOLERANCE,
    plugin_bias,
    pointwise_table,
    round_tolerance,
    smoothed_posterior,
)

#: Counts of a 2 x 3 table of states with 2 classes; the cell (1, 2) is empty.
COUNTS = np.array(
    [
        [[6.0, 2.0], [1.0, 3.0], [4.0, 0.0]],
        [[0.0, 5.0], [2.0, 2.0], [0.0, 0.0]],
    ]
)


def _and_table():
    """``p[x1, x2, y]`` of y = x1 AND x2 with uniform bits."""
    p = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            p[a, b, a & b] = 0.25
    return p


# -- smoothed_posterior ---------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.5, 3.0])
def test_smoothed_posterior_rows_sum_to_one(alpha):
    post = smoothed_posterior(COUNTS, alpha)
    assert post.shape == (3, 4, 2)  # one more row and column: unseen states
    assert (post >= 0).all()
    np.testing.assert_allclose(post.sum(axis=2), 1.0, rtol=0, atol=1e-15)


def test_smoothed_posterior_without_smoothing_is_the_empirical_posterior():
    post = smoothed_posterior(COUNTS, alpha=0.0)
    seen = COUNTS.sum(axis=2) > 0
    empirical = COUNTS / COUNTS.sum(axis=2, keepdims=True).clip(min=1)
    np.testing.assert_allclose(post[:-1, :-1][seen], empirical[seen], rtol=1e-15)


def test_smoothed_posterior_of_a_seen_cell_by_hand():
    alpha = 2.0
    total = COUNTS.sum()
    prior = COUNTS.sum(axis=(0, 1)) / total
    # p(y|x1=0), p(y|x2=1), each smoothed towards the prior with alpha counts
    row = COUNTS[0].sum(axis=0)
    column = COUNTS[:, 1].sum(axis=0)
    post1 = (row + alpha * prior) / (row.sum() + alpha)
    post2 = (column + alpha * prior) / (column.sum() + alpha)
    backoff = post1 * post2 / prior
    backoff /= backoff.sum()
    expected = (COUNTS[0, 1] + alpha * backoff) / (COUNTS[0, 1].sum() + alpha)
    np.testing.assert_allclose(
        smoothed_posterior(COUNTS, alpha)[0, 1], expected, rtol=1e-14
    )


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_smoothed_posterior_backs_off_on_unseen_states(alpha):
    post = smoothed_posterior(COUNTS, alpha)
    prior = COUNTS.sum(axis=(0, 1)) / COUNTS.sum()
    # neither state seen: the class prior
    np.testing.assert_allclose(post[-1, -1], prior, rtol=1e-15)
    # x1 unseen, x2 = 0 seen: what x2 says alone, p(y | x2 = 0) smoothed
    column = COUNTS[:, 0].sum(axis=0)
    expected = (column + alpha * prior) / (column.sum() + alpha)
    np.testing.assert_allclose(post[-1, 0], expected, rtol=1e-14)


def test_unseen_pair_of_disjoint_states_without_smoothing():
    # x1 = 0 was only seen with y = 0 and x2 = 1 only with y = 1: their cell
    # (0, 1) is empty and the back-off p(y|x1) p(y|x2) / p(y) is 0 for every
    # class, so the posterior there is the prior (4/7, 3/7)
    counts = np.array([[[3.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 2.0]]])
    post = smoothed_posterior(counts, alpha=0.0)
    np.testing.assert_allclose(post[0, 1], [4 / 7, 3 / 7], rtol=1e-15)


# -- pointwise_table ------------------------------------------------------------


@pytest.fixture(scope="module")
def and_gate():
    p = _and_table()
    solution = solve_broja(p)
    return p, solution.q, pointwise_table(p, solution.q)


def test_pointwise_atoms_of_the_and_gate_average_to_its_decomposition(and_gate):
    p, _, point = and_gate
    assert point.shape == (3, 3, 2, 4)
    means = np.einsum("abc,abcj->j", p, point[:-1, :-1]) / math.log(2)
    # AND: R = I(X1;Y) = H(Y) - H(Y|X1) = (2 - 3/4 log2 3) - 1/2, U1 = U2 = 0,
    # S = H(Y) - R = 1/2 bit. The solver certifies a duality gap of 1e-9 nats
    # (measured error: 7e-10 bits).
    exact = [1.5 - 0.75 * math.log2(3), 0.0, 0.0, 0.5]
    np.testing.assert_allclose(means, exact, rtol=0, atol=1e-8)


def test_pointwise_atoms_average_to_the_table_atoms_of_q(and_gate):
    p, q, point = and_gate
    means = np.einsum("abc,abcj->j", p, point[:-1, :-1]) / math.log(2)
    table = pid_from_tables(p, q)
    # q keeps p's (x_m, y) marginals to 1e-16: the same numbers, rounding only
    np.testing.assert_allclose(means, [table[a] for a in ATOMS], rtol=0, atol=1e-12)


def test_pointwise_identities_in_every_cell(rng):
    p = rng.dirichlet(np.ones(3 * 4 * 2)).reshape(3, 4, 2)
    point = pointwise_table(p, solve_broja(p).q)[:-1, :-1]
    r, u1, u2, s = np.moveaxis(point, -1, 0)
    prior = p.sum(axis=(0, 1))
    p1, p2 = p.sum(axis=1), p.sum(axis=0)
    i1 = np.log(p1 / p1.sum(axis=1, keepdims=True) / prior)[:, None]
    i2 = np.log(p2 / p2.sum(axis=1, keepdims=True) / prior)[None]
    i12 = np.log(p / p.sum(axis=2, keepdims=True) / prior)
    # r + u_m = i_m and r + u1 + u2 + s = i12, cell by cell (nats)
    np.testing.assert_allclose(r + u1, np.broadcast_to(i1, r.shape), atol=1e-12)
    np.testing.assert_allclose(r + u2, np.broadcast_to(i2, r.shape), atol=1e-12)
    np.testing.assert_allclose(r + u1 + u2 + s, i12, atol=1e-12)


def test_unseen_states_carry_no_information_of_their_own(and_gate):
    _, _, point = and_gate
    # neither state seen: every term is 0
    np.testing.assert_array_equal(point[-1, -1], 0.0)
    # x1 unseen: i1 = r + u1 = 0 and i12 = 0; x2 unseen likewise
    np.testing.assert_allclose(point[-1, :, :, 0] + point[-1, :, :, 1], 0, atol=1e-15)
    np.testing.assert_allclose(point[:, -1, :, 0] + point[:, -1, :, 2], 0, atol=1e-15)
    np.testing.assert_allclose(point[-1].sum(axis=-1), 0, atol=1e-15)
    # but what the seen x2 says is kept: r + u2 = i2 = log p(y|x2) / p(y), with
    # p(y=1) = 1/4, p(y=1 | x2=0) = 0 (a term of a pair never seen: 0) and
    # p(y=1 | x2=1) = 1/2
    i2 = np.log([[1 / 0.75, 1.0], [0.5 / 0.75, 0.5 / 0.25]])
    i2[0, 1] = 0.0
    np.testing.assert_allclose(
        point[-1, :2, :, 0] + point[-1, :2, :, 2], i2, rtol=0, atol=1e-15
    )


# -- plugin_bias ----------------------------------------------------------------


def test_plugin_bias_by_hand():
    # occupied (x1, x2) cells: 5 of 6; occupied classes: 2; N = 25
    assert plugin_bias(COUNTS) == pytest.approx((5 - 1) * (2 - 1) / (2 * 25))


def test_plugin_bias_counts_occupied_classes_and_weights():
    counts = np.zeros((2, 2, 3))
    counts[0, 0, 0] = 1.5
    counts[0, 1, 2] = 2.0
    counts[1, 1, 0] = 0.5
    # K12 = 3 cells, Ky = 2 classes (class 1 never occurs), N = 4 (weights)
    assert plugin_bias(counts) == pytest.approx((3 - 1) * (2 - 1) / (2 * 4.0))


# -- round_tolerance ------------------------------------------------------------


def test_solver_tolerance_negatives_become_zero():
    values = {"redundancy": 0.3, "unique_1": -0.5 * NEGATIVE_TOLERANCE}
    values |= {"unique_2": 0.0, "synergy": 0.2, "mi_1": 0.3}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rounded = round_tolerance(values)
    assert rounded["unique_1"] == 0.0
    assert rounded["redundancy"] == 0.3 and rounded["synergy"] == 0.2
    assert values["unique_1"] < 0  # the input is not modified


def test_larger_negatives_warn_and_stay():
    values = {"redundancy": 0.3, "unique_1": 0.0, "unique_2": 0.0}
    values["synergy"] = -2 * NEGATIVE_TOLERANCE
    with pytest.warns(RuntimeWarning, match="synergy = .* is negative beyond"):
        rounded = round_tolerance(values)
    assert rounded["synergy"] == -2 * NEGATIVE_TOLERANCE
