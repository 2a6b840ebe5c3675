"""The BROJA solver on its support: sparse tables, large alphabets, the
linear-algebra routes of the Newton system, and the limits that replace a
crash by an error.

Tolerances: the Newton solver certifies a duality gap of 1e-9 nats, and every
atom is a function of the optimal value (the marginals are fixed), so two
certified answers agree to ~3e-9 bits; 1e-8 bits is asserted between them,
and 1e-9 against closed forms that the certificate bounds directly.
"""

import math
import warnings

import numpy as np
import pytest
from helpers import ATOMS
from scipy import sparse

import sklearn_pid._broja as broja
from sklearn_pid import SolverError, broja_decomposition
from sklearn_pid._broja import TIGHT_CLARABEL, solve_broja
from sklearn_pid._information import pid_from_tables


def copy_gate(n1, n2):
    """y = (x1, x2) with x1, x2 uniform, as a sparse table."""
    x1, x2 = np.divmod(np.arange(n1 * n2), n2)
    values = np.full(x1.size, 1.0 / x1.size)
    return sparse.coo_array((values, (x1, x2, x1 * n2 + x2)), shape=(n1, n2, n1 * n2))


def modular_sum(m):
    """y = (x1 + x2) mod m with x1, x2 uniform: m^2 cells of m^3."""
    x1, x2 = np.divmod(np.arange(m * m), m)
    values = np.full(m * m, 1.0 / m**2)
    return sparse.coo_array((values, (x1, x2, (x1 + x2) % m)), shape=(m, m, m))


def atoms(p, q):
    values = pid_from_tables(p, q)
    return np.array([values[k] for k in ATOMS])


def test_copy_gate_of_broja_2pid():
    """BROJA_2PID's test case: sources of 990 and 25 states, the label their
    pair (24,750 labels; a dense table would take 4.9 GB)."""
    values = broja_decomposition(copy_gate(990, 25))
    np.testing.assert_allclose(
        values[ATOMS].to_numpy(), [0, math.log2(990), math.log2(25), 0], atol=1e-9
    )
    assert values["mi_joint"] == pytest.approx(math.log2(990 * 25), abs=1e-9)


@pytest.mark.parametrize("m", [3, 8, 16])
def test_modular_sum_is_all_synergy(m):
    values = broja_decomposition(modular_sum(m))
    np.testing.assert_allclose(
        values[ATOMS].to_numpy(), [0, 0, 0, math.log2(m)], atol=1e-9
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_and_dense_tables_give_the_same_answer(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(7 * 6 * 4, 0.3)).reshape(7, 6, 4)
    p[p < 0.002] = 0
    dense = broja_decomposition(p)
    from_sparse = broja_decomposition(sparse.coo_array(p))
    np.testing.assert_allclose(from_sparse.to_numpy(), dense.to_numpy(), atol=1e-12)
    solution = solve_broja(sparse.coo_array(p / p.sum()))
    assert sparse.issparse(solution.q)
    np.testing.assert_allclose(solution.q.toarray().sum(axis=1), (p / p.sum()).sum(1))


def test_sparse_table_with_many_labels_against_clarabel():
    """Each state sees its own 6 of 40 labels: the support is a few per cent
    of the cells, and both routes solve it on the support."""
    rng = np.random.default_rng(0)
    seen1 = np.stack([rng.permutation(40) < 6 for _ in range(20)])
    seen2 = np.stack([rng.permutation(40) < 6 for _ in range(20)])
    x1, x2, y = np.nonzero(seen1[:, None, :] & seen2[None, :, :])
    p = sparse.coo_array((rng.dirichlet(np.ones(x1.size)), (x1, x2, y)), (20, 20, 40))
    newton = solve_broja(p)
    clarabel = solve_broja(p, "CLARABEL", TIGHT_CLARABEL)
    assert newton.solver == "newton" and newton.status == "optimal"
    assert newton.marginal_violation < 1e-13
    np.testing.assert_allclose(atoms(p, newton.q), atoms(p, clarabel.q), atol=1e-6)


@pytest.mark.parametrize("shape", [(24, 20, 10), (40, 40, 2), (12, 30, 6)])
def test_linear_algebra_routes_agree(monkeypatch, shape):
    """The Schur complement, the dense and the sparse factorisations of the
    Newton system certify the same optimum."""
    rng = np.random.default_rng(sum(shape))
    p = rng.dirichlet(np.full(math.prod(shape), 0.5)).reshape(shape)
    results = {}
    for route, settings in {
        "schur": {"_SCHUR_ABOVE": 0},
        "dense": {"_SCHUR_ABOVE": 10**9, "_SPARSE_ABOVE": 10**9},
        "sparse": {"_SCHUR_ABOVE": 10**9, "_SPARSE_ABOVE": 0, "_DENSE_SHARE": 2.0},
    }.items():
        with monkeypatch.context() as patch:
            for name, value in settings.items():
                patch.setattr(broja, name, value)
            solution = solve_broja(p, "newton")
        assert solution.status == "optimal"
        results[route] = atoms(p, solution.q)
    for route in ("dense", "sparse"):
        np.testing.assert_allclose(results[route], results["schur"], atol=1e-8)


def test_newton_polish_meets_the_marginals_to_rounding():
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(48 * 48 * 2)).reshape(48, 48, 2)
    solution = solve_broja(p)
    assert solution.marginal_violation < 1e-15


def test_tables_past_the_entry_limit_raise_instead_of_exhausting_memory(
    monkeypatch,
):
    monkeypatch.setattr(broja, "MAX_ENTRIES", 100)
    with pytest.raises(SolverError, match="exceed the solvers' limit"):
        solve_broja(np.full((6, 6, 6), 1 / 216))


def test_sparse_input_is_validated():
    bad = sparse.coo_array(
        (np.array([0.5, -0.5, 1.0]), ([0, 1, 1], [0, 0, 1], [0, 1, 1])), (2, 2, 2)
    )
    with pytest.raises(ValueError, match="non-negative"):
        broja_decomposition(bad)
    with pytest.raises(ValueError, match="3-D"):
        broja_decomposition(sparse.coo_array(np.eye(3)))


def test_no_fallback_on_latent_factor_tables():
    """Tables clustered from a latent-factor data set (the stall of issue 14
    met one such 40x40x2 table): certified by Newton, no warning."""
    rng = np.random.default_rng(0)
    for seed in range(5):
        latent = rng.integers(0, 2, size=20_000)
        x1 = (latent * 13 + rng.integers(0, 40, size=20_000)) % 40
        x2 = (latent * 7 + rng.integers(0, 20, size=20_000) // 2) % 40
        y = latent ^ (rng.random(20_000) < 0.1)
        p = np.zeros((40, 40, 2))
        np.add.at(p, (x1, x2, y), 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            solution = solve_broja(p / p.sum())
        assert (solution.solver, solution.status) == ("newton", "optimal"), seed


def unbalanced(n_labels, n_single):
    """x1 = 0 sees every label; x1 = 1..n_single one label each; x2 in {0, 1}."""
    x1 = np.r_[np.zeros(2 * n_labels, int), np.repeat(np.arange(1, n_single + 1), 2)]
    x2 = np.r_[np.tile([0, 1], n_labels), np.tile([0, 1], n_single)]
    y = np.r_[
        np.repeat(np.arange(n_labels), 2), np.repeat(np.arange(n_single) % n_labels, 2)
    ]
    return sparse.coo_array(
        (np.ones(x1.size) / x1.size, (x1, x2, y)), (n_single + 1, 2, n_labels)
    )


def test_schur_route_is_not_taken_when_padding_would_blow_up():
    """One state seeing 300 labels beside 200 states seeing one each: padding
    every group to 300 slots took 20 s and 0.75 GB (and 3.6 GB per array with
    5000 such states); the dense route takes well under a second."""
    p = unbalanced(300, 200)
    problem = broja._Problem(broja._Table(p))
    assert broja._Dual(problem).schur is None
    solution = solve_broja(p)
    assert solution.status == "optimal"
    clarabel = solve_broja(p, "CLARABEL", TIGHT_CLARABEL)
    np.testing.assert_allclose(atoms(p, solution.q), atoms(p, clarabel.q), atol=1e-6)


def test_dense_systems_past_the_dense_limit_fall_back_with_a_sentence(monkeypatch):
    """A sparse LU of a dense system that large would take hours: refused."""
    monkeypatch.setattr(broja, "_DENSE_MAX_VARS", 20)
    monkeypatch.setattr(broja, "_SCHUR_ABOVE", 10**9)
    p = np.random.default_rng(0).dirichlet(np.ones(12 * 12 * 2)).reshape(12, 12, 2)
    with pytest.warns(RuntimeWarning, match="too dense for a sparse factorisation"):
        solution = solve_broja(p)
    assert solution.solver == "CLARABEL"


def test_extreme_tables_warn_only_through_the_fallback_sentence():
    """Probabilities spanning 100 orders of magnitude: no raw numpy warnings."""
    p = 10.0 ** -np.random.default_rng(3).uniform(0, 100, (5, 4, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        broja_decomposition(p)
    assert all(str(w.message).startswith("The BROJA solver") for w in caught)


def test_sparse_duplicates_are_summed_as_floats():
    data = np.array([100, 100, 1], dtype=np.int8)  # 200 would overflow int8
    p = sparse.coo_array((data, ([0, 0, 1], [0, 0, 1], [0, 0, 1])), (2, 2, 2))
    solution = solve_broja(p)
    np.testing.assert_allclose(solution.q.toarray()[:, :, 0].sum(), 200)
    with pytest.raises(ValueError, match="no positive entry"):
        solve_broja(np.zeros((2, 2, 2)))


def test_sparse_and_dense_information_agree_without_renormalising():
    """pid_from_tables does not renormalise, with either kind of table."""
    p = np.random.default_rng(1).dirichlet(np.ones(24)).reshape(2, 3, 4) * 10
    q = solve_broja(p).q
    dense = pid_from_tables(p, q)
    from_sparse = pid_from_tables(sparse.coo_array(p), sparse.coo_array(q))
    for key in dense:
        assert from_sparse[key] == pytest.approx(dense[key], abs=1e-9), key
