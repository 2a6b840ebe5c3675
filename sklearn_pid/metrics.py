"""From decompositions to decisions: quantify models, compare, recommend.

The workflow of Liang et al. (NeurIPS 2023, §4.3-4.4): decompose the dataset,
decompose what each trained model captured (the same estimator run on the
model's own predictions), compare them with the PID agreement, and choose the
model family whose interactions match the data's.
"""

from dataclasses import dataclass

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from ._base import ATOMS


def quantify_model(model, X, estimator, *, name=None):
    """Decompose what a fitted model captured: PID of ``(x1, x2, model.predict(x))``.

    Parameters
    ----------
    model : fitted classifier
        Any object with ``predict(X)`` on the same ``X`` layout.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Both modalities, as the estimator's ``modalities`` expects.
    estimator : PID estimator
        Unfitted or fitted; it is cloned, then fitted on the model's
        predictions (e.g. :class:`~sklearn_pid.PIDCVX`,
        :class:`~sklearn_pid.LSMIEstimator`).
    name : str or None, default=None
        Name of the returned Series (the row label in
        :func:`~sklearn_pid.plotting.plot_decompositions`); None uses the
        model's class name, which does not tell two pipelines apart.

    Returns
    -------
    pandas.Series
        ``redundancy, unique_1, unique_2, synergy`` of the model's predictions,
        in the estimator's ``base``, named ``name``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.metrics import quantify_model
    >>> X, y = make_bitwise("copy", 4000, random_state=0)  # y = (x1, x2)
    >>> PIDCVX().fit(X, y).decomposition_.round(2).tolist()
    [0.0, 1.0, 1.0, 0.0]
    >>> stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    >>> quantify_model(stump, X, PIDCVX()).round(2).tolist()  # one split: x1 only
    [0.0, 1.0, 0.0, 0.0]
    """
    predictions = np.asarray(model.predict(X))
    if np.unique(predictions).size < 2:
        raise ValueError(
            f"{type(model).__name__} predicts a single class on X "
            f"({predictions[:1].tolist()[0]!r}): its predictions carry no "
            "information to decompose."
        )
    fitted = clone(estimator).fit(X, predictions)
    return fitted.decomposition_.rename(name or type(model).__name__)


def pid_agreement(dataset_decomposition, model_decomposition):
    """The PID agreement of a model with a dataset (Liang et al., equation 6).

    ``alpha = sum_I  I_D_hat * I_f`` over ``I`` in ``(R, U1, U2, S)``, where
    ``I_D_hat`` are the dataset's interactions normalised to sum 1 (negative
    values clipped to 0 first) and ``I_f`` the model's interactions: high when
    the model captures the interactions the data carry, in proportion to how
    much the data carry them.

    Parameters
    ----------
    dataset_decomposition : Series or mapping
        The dataset's ``redundancy, unique_1, unique_2, synergy``.
    model_decomposition : Series or mapping
        The model's (from :func:`quantify_model`), same units.

    Returns
    -------
    pandas.Series
        The four terms ``I_D_hat * I_f`` and their sum, ``"total"``.

    Examples
    --------
    >>> from sklearn_pid.metrics import pid_agreement
    >>> data = {"redundancy": 0.3, "unique_1": 0.0, "unique_2": 0.0, "synergy": 0.5}
    >>> model = {"redundancy": 0.3, "unique_1": 0.0, "unique_2": 0.0, "synergy": 0.1}
    >>> round(float(pid_agreement(data, model)["total"]), 4)
    0.175
    """
    data = _atoms(dataset_decomposition, "dataset_decomposition").clip(lower=0)
    model = _atoms(model_decomposition, "model_decomposition")
    if data.sum() <= 0:
        raise ValueError(
            "dataset_decomposition has no positive interaction to normalise by."
        )
    terms = data / data.sum() * model
    return pd.concat([terms, pd.Series({"total": terms.sum()})]).rename("agreement")


def make_agreement_scorer(estimator, dataset_decomposition=None):
    """A scorer ``scorer(model, X, y)`` returning the PID agreement.

    Usable as ``GridSearchCV(scoring=...)`` so that hyperparameters are
    chosen by how well a model captures the data's interactions.

    Parameters
    ----------
    estimator : PID estimator
        Decomposes the model's predictions (and the data, if needed).
    dataset_decomposition : Series, mapping or None, default=None
        The data's decomposition. None decomposes ``(X, y)`` of each call
        with ``estimator``, once per distinct ``(X, y)``: all the candidates
        of a grid search share it on each validation fold.

    Returns
    -------
    callable
        ``scorer(model, X, y) -> float``: the ``"total"`` of
        :func:`pid_agreement`.
    """
    return _AgreementScorer(estimator, dataset_decomposition)


class _AgreementScorer:
    """Picklable scorer with a cache of dataset decompositions."""

    def __init__(self, estimator, dataset_decomposition):
        self.estimator = estimator
        self.dataset_decomposition = dataset_decomposition
        self._cache = {}

    def __call__(self, model, X, y):
        data = self.dataset_decomposition
        if data is None:
            key = joblib.hash((X, y))
            if key not in self._cache:
                self._cache[key] = clone(self.estimator).fit(X, y).decomposition_
            data = self._cache[key]
        model_values = quantify_model(model, X, self.estimator)
        return float(pid_agreement(data, model_values)["total"])

    def __repr__(self):
        return f"make_agreement_scorer({self.estimator!r})"


@dataclass(frozen=True)
class FusionRecommendation:
    """What :func:`recommend_fusion` returns.

    Attributes
    ----------
    family : str
        ``"unimodal_1"``, ``"unimodal_2"``, ``"late_fusion"`` or
        ``"multiplicative_fusion"``.
    dominant : str
        The interaction with the largest share.
    shares : pandas.Series
        Each interaction's share of the total (negatives clipped to 0).
    explanation : str
        The reasoning, in a sentence or two.
    """

    family: str
    dominant: str
    shares: pd.Series
    explanation: str


_FAMILIES = {
    "redundancy": (
        "late_fusion",
        "Most of the information is redundant: either modality alone predicts "
        "the label, so late fusion (an ensemble of unimodal models, or "
        "agreement/alignment objectives) captures it, and robustly to a "
        "missing modality.",
    ),
    "unique_1": (
        "unimodal_1",
        "Most of the information is unique to modality 1: a strong model of "
        "modality 1 alone captures it; the second modality adds little.",
    ),
    "unique_2": (
        "unimodal_2",
        "Most of the information is unique to modality 2: a strong model of "
        "modality 2 alone captures it; the first modality adds little.",
    ),
    "synergy": (
        "multiplicative_fusion",
        "Most of the information is synergistic: it appears only when both "
        "modalities are seen together, so the model needs multiplicative "
        "interactions between them (tensor or low-rank tensor fusion, "
        "cross-modal attention); additive or late fusion will miss it.",
    ),
}


def recommend_fusion(decomposition):
    """Liang et al.'s rule of thumb: the model family that matches the data.

    The interaction with the largest share decides (§4.4 of the paper):

    ======================  =========================================
    dominant interaction    family
    ======================  =========================================
    redundancy              late fusion / ensembles / alignment
    unique_1 (unique_2)     the strong unimodal model of modality 1 (2)
    synergy                 multiplicative, tensor or attention fusion
    ======================  =========================================

    It is a heuristic for where to start, not a substitute for validation.

    Parameters
    ----------
    decomposition : Series or mapping
        ``redundancy, unique_1, unique_2, synergy``.

    Returns
    -------
    FusionRecommendation

    Examples
    --------
    >>> from sklearn_pid.metrics import recommend_fusion
    >>> rec = recommend_fusion({"redundancy": 0.1, "unique_1": 0.0,
    ...                         "unique_2": 0.0, "synergy": 0.8})
    >>> rec.family, rec.dominant
    ('multiplicative_fusion', 'synergy')
    """
    values = _atoms(decomposition, "decomposition").clip(lower=0)
    if values.sum() <= 0:
        raise ValueError("The decomposition has no positive interaction.")
    shares = (values / values.sum()).rename("share")
    dominant = str(shares.idxmax())
    family, reason = _FAMILIES[dominant]
    explanation = (
        f"{reason} (Shares: "
        + ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
        + ".)"
    )
    return FusionRecommendation(family, dominant, shares, explanation)


def _atoms(values, name):
    """The four atoms of a Series or mapping, as a float Series."""
    try:
        series = pd.Series({a: values[a] for a in ATOMS}, dtype=float)
    except (KeyError, TypeError) as error:
        raise ValueError(
            f"{name} must map each of {list(ATOMS)} to a number; got {values!r}."
        ) from error
    if not np.all(np.isfinite(series)):
        raise ValueError(f"{name} has non-finite values: {series.to_dict()}.")
    return series


__all__ = [
    "FusionRecommendation",
    "make_agreement_scorer",
    "pid_agreement",
    "quantify_model",
    "recommend_fusion",
]
