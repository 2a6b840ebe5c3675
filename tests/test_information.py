import math

import numpy as np
import pytest

from sklearn_pid._information import (
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
