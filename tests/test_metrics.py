"""Tests of sklearn_pid.metrics: quantify models, agreement, fusion advice."""

import pickle

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

from sklearn_pid import PIDCVX
from sklearn_pid.datasets import make_bitwise
from sklearn_pid.metrics import (
    make_agreement_scorer,
    pid_agreement,
    quantify_model,
    recommend_fusion,
)


def _decomposition(r, u1, u2, s):
    return pd.Series([r, u1, u2, s], index=ATOMS)


def test_quantify_model_decomposes_the_predictions():
    X, y = make_bitwise("copy", 4000, random_state=0)  # y = (x1, x2): U1 = U2 = 1
    estimator = PIDCVX()
    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    # A stump splits on one bit: its predictions are a function of x1 alone,
    # so exactly U1 = H(x1) (1 bit up to sampling) and nothing else.
    stump_values = quantify_model(stump, X, estimator)
    np.testing.assert_allclose(stump_values, [0, 1, 0, 0], atol=1e-3)
    assert stump_values.name == "DecisionTreeClassifier"
    # The full tree reproduces y, so its decomposition is the data's.
    data = PIDCVX().fit(X, y).decomposition_
    named = quantify_model(tree, X, estimator, name="full tree")
    np.testing.assert_allclose(named, data, atol=1e-9)
    assert named.name == "full tree"
    assert not hasattr(estimator, "decomposition_")  # cloned, not fitted


def test_quantify_model_rejects_a_constant_model():
    X, y = make_bitwise("and", 1000, random_state=0)
    model = DummyClassifier(strategy="most_frequent").fit(X, y)
    with pytest.raises(ValueError, match="predicts a single class"):
        quantify_model(model, X, PIDCVX())


def test_pid_agreement_is_equation_6():
    data = _decomposition(0.3, -0.01, 0.0, 0.5)  # a negative atom counts as 0
    model = _decomposition(0.2, 0.1, 0.0, 0.4)
    got = pid_agreement(data, model)
    expected = np.array([0.3 / 0.8 * 0.2, 0.0, 0.0, 0.5 / 0.8 * 0.4])
    np.testing.assert_allclose(got[ATOMS], expected)
    assert got["total"] == pytest.approx(expected.sum())
    assert list(got.index) == ATOMS + ["total"]


@pytest.mark.parametrize(
    "bad", [{"redundancy": 1.0}, None, _decomposition(0, 0, 0, np.nan)]
)
def test_pid_agreement_bad_input(bad):
    with pytest.raises(ValueError):
        pid_agreement(bad, _decomposition(1, 0, 0, 0))
    with pytest.raises(ValueError, match="no positive interaction"):
        pid_agreement(_decomposition(0, 0, 0, 0), _decomposition(1, 0, 0, 0))


def test_agreement_scorer_in_a_grid_search():
    X, y = make_bitwise("copy", 4000, random_state=0)
    scorer = make_agreement_scorer(PIDCVX())
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": [1, 2]},
        scoring=scorer,
        cv=2,
    ).fit(X, y)
    # Depth 2 captures both unique bits (agreement 1 bit), depth 1 only one.
    assert search.best_params_ == {"max_depth": 2}
    scores = search.cv_results_["mean_test_score"]
    np.testing.assert_allclose(scores, [0.5, 1.0], atol=0.01)


def test_agreement_scorer_decomposes_each_dataset_once():
    X, y = make_bitwise("and", 2000, random_state=0)
    scorer = make_agreement_scorer(PIDCVX())
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    first = scorer(tree, X, y)
    second = scorer(DecisionTreeClassifier(max_depth=2).fit(X, y), X, y)
    assert len(scorer._cache) == 1
    assert first == pytest.approx(second)
    # Given the data's decomposition, nothing is cached.
    data = PIDCVX().fit(X, y).decomposition_
    given = make_agreement_scorer(PIDCVX(), data)
    assert given(tree, X, y) == pytest.approx(first)
    assert given._cache == {}
    assert pickle.loads(pickle.dumps(scorer))(tree, X, y) == pytest.approx(first)


@pytest.mark.parametrize(
    ("values", "family"),
    [
        ((0.8, 0.1, 0.0, 0.1), "late_fusion"),
        ((0.1, 0.7, 0.0, 0.1), "unimodal_1"),
        ((0.1, 0.0, 0.7, 0.1), "unimodal_2"),
        ((0.3, 0.0, 0.0, 0.5), "multiplicative_fusion"),  # AND / OR
    ],
)
def test_recommend_fusion(values, family):
    rec = recommend_fusion(_decomposition(*values))
    assert rec.family == family
    assert rec.shares.sum() == pytest.approx(1.0)
    assert rec.dominant == ATOMS[int(np.argmax(values))]
    assert "Shares:" in rec.explanation


def test_recommend_fusion_clips_negative_atoms():
    rec = recommend_fusion(_decomposition(0.5, -0.2, 0.1, 0.0))
    assert rec.shares["unique_1"] == 0
    assert rec.family == "late_fusion"
    with pytest.raises(ValueError, match="no positive interaction"):
        recommend_fusion(_decomposition(-1, 0, 0, 0))
