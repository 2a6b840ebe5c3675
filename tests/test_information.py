import math

import numpy as np
import pytest
from helpers import ATOMS

from sklearn_pid._information import (
    broja_atoms,
    co_information,
    conditional_mutual_information,
    entropy,
    mutual_information,
    pid_from_tables,
)


def test_entropy_units():
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy([0.25] * 4, base=math.e) == pytest.approx(math.log(4))
    assert entropy([1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="base"):
        entropy([0.5, 0.5], base=1)


def test_mutual_information_matches_entropies(rng):
    p = rng.dirichlet(np.ones(12)).reshape(3, 4)
    expected = entropy(p.sum(1)) + entropy(p.sum(0)) - entropy(p)
    assert mutual_information(p) == pytest.approx(expected, abs=1e-12)
    assert mutual_information(np.outer([0.3, 0.7], [0.1, 0.9])) == pytest.approx(
        0, abs=1e-15
    )


def test_conditional_mutual_information_chain_rule(rng):
    p = rng.dirichlet(np.ones(24)).reshape(2, 3, 4)  # axes x, y, z
    # I(X;Y|Z) = H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z)
    expected = (
        entropy(p.sum(1)) + entropy(p.sum(0)) - entropy(p) - entropy(p.sum((0, 1)))
    )
    assert conditional_mutual_information(p) == pytest.approx(expected, abs=1e-12)


def test_co_information_xor_is_minus_one():
    p = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            p[a, b, a ^ b] = 0.25
    assert co_information(p) == pytest.approx(-1.0)


def test_pid_from_tables_identities(rng):
    p = rng.dirichlet(np.ones(18)).reshape(3, 3, 2)
    v = pid_from_tables(p, p)  # q = p is feasible, so the identities must hold
    assert v["redundancy"] + v["unique_1"] == pytest.approx(v["mi_1"], abs=1e-12)
    assert v["redundancy"] + v["unique_2"] == pytest.approx(v["mi_2"], abs=1e-12)
    total = v["redundancy"] + v["unique_1"] + v["unique_2"] + v["synergy"]
    assert total == pytest.approx(v["mi_joint"], abs=1e-12)
    assert v["synergy"] == pytest.approx(0, abs=1e-12)


def test_broja_atoms_formulas_and_identities(rng):
    i1, i2, i12, iq = rng.normal(size=(4, 6))
    atoms = broja_atoms(i1, i2, i12, iq)
    assert atoms.shape == (6, 4)
    r, u1, u2, s = atoms.T
    np.testing.assert_array_equal(r, i1 + i2 - iq)
    np.testing.assert_array_equal(u1, iq - i2)
    np.testing.assert_array_equal(u2, iq - i1)
    np.testing.assert_array_equal(s, i12 - iq)
    # r + u_m = i_m and the four add up to i12, up to rounding
    np.testing.assert_allclose(r + u1, i1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r + u2, i2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(atoms.sum(axis=1), i12, rtol=0, atol=1e-15)


def test_broja_atoms_broadcast():
    # per-state terms (3, 1), per-label terms (1, 2), a scalar: (3, 2, 4)
    i1 = np.array([[0.1], [0.2], [0.3]])
    i2 = np.array([[0.5, -0.5]])
    atoms = broja_atoms(i1, i2, 1.0, 0.25)
    assert atoms.shape == (3, 2, 4)
    np.testing.assert_allclose(atoms[2, 1], [0.3 - 0.5 - 0.25, 0.75, -0.05, 0.75])


def test_broja_atoms_average_to_pid_from_tables(rng):
    """With q = p the anchored iq is the pointwise I(X1,X2;Y): the means of the
    atoms under p are pid_from_tables(p, p) (no synergy)."""
    p = rng.dirichlet(np.ones(3 * 3 * 2)).reshape(3, 3, 2)
    prior = p.sum(axis=(0, 1))
    p1, p2 = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    i1 = np.log(p1 / p1.sum(axis=2, keepdims=True) / prior)
    i2 = np.log(p2 / p2.sum(axis=2, keepdims=True) / prior)
    i12 = np.log(p / p.sum(axis=2, keepdims=True) / prior)
    atoms = broja_atoms(i1, i2, i12, i12)
    means = np.einsum("abc,abcj->j", p, atoms) / np.log(2)
    table = pid_from_tables(p, p)
    expected = [table[atom] for atom in ATOMS]
    np.testing.assert_allclose(means, expected, rtol=0, atol=1e-12)
