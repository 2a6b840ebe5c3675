import numpy as np
import pytest

from sklearn_pid._modalities import resolve_modalities


def _pair(res):
    return [r.tolist() for r in res]


def test_none_needs_two_columns():
    assert _pair(resolve_modalities(None, 2)) == [[0], [1]]
    with pytest.raises(ValueError, match="exactly 2"):
        resolve_modalities(None, 3)


def test_int_split():
    assert _pair(resolve_modalities(2, 5)) == [[0, 1], [2, 3, 4]]
    for k in (0, 5, -1):
        with pytest.raises(ValueError, match="1 <= modalities"):
            resolve_modalities(k, 5)


@pytest.mark.parametrize(
    "sel, expected",
    [
        ((slice(0, 2), slice(2, None)), [[0, 1], [2, 3]]),
        (([0, 3], [1]), [[0, 3], [1]]),
        (([True, False, False, True], [False, True, True, False]), [[0, 3], [1, 2]]),
        (([-1], [0]), [[3], [0]]),
    ],
)
def test_pair_selections(sel, expected):
    assert _pair(resolve_modalities(sel, 4)) == expected


def test_names():
    names = np.array(["a", "b", "c"], dtype=object)
    assert _pair(resolve_modalities((["a"], ["b", "c"]), 3, names)) == [[0], [1, 2]]
    with pytest.raises(ValueError, match=r"\['z'\]"):
        resolve_modalities((["a"], ["z"]), 3, names)
    with pytest.raises(ValueError, match="no column names"):
        resolve_modalities((["a"], ["b"]), 3, None)


@pytest.mark.parametrize(
    "sel, match",
    [
        (([0, 1], [1, 2]), "overlap"),
        (([], [1]), "selects no column"),
        (([0], [7]), "out-of-range"),
        (([True, False], [1]), "boolean mask"),
        (([0],), "Invalid modalities"),
        ("ab", "Invalid modalities"),
    ],
)
def test_bad_selections(sel, match):
    with pytest.raises(ValueError, match=match):
        resolve_modalities(sel, 4)
