"""Confidence intervals, bias correction and significance of a decomposition.

:func:`bootstrap` and :func:`permutation_test` work on any estimator of the
package and on any scikit-learn estimator that sets ``decomposition_`` at
``fit`` (and, optionally, ``mi_1_``, ``mi_2_``, ``mi_joint_``), after the
model of :func:`scipy.stats.bootstrap` and :func:`scipy.stats.permutation_test`.
Each picks the cheapest valid route for the estimator (see
``docs/inference.md``):

* **out-of-fold** (cross-fitted :class:`~sklearn_pid.LSMIEstimator` and
  :class:`~sklearn_pid.PIDBatch`): the dataset values are means of per-sample
  values evaluated by models that did not see the sample; the bootstrap
  resamples those values (widened, and bias-corrected, by a few refits on
  half of the rows: the models' own variability and bias) and the
  permutation test permutes the labels within folds against them (one fit).
* **tables** (:class:`~sklearn_pid.PIDCVX`): the bootstrap refits on resampled
  rows (the discretisation included); the permutation nulls are new count
  tables of the fitted states, each solved exactly.
* **refit** (any other estimator, or the neural ones with ``cv=None``): one
  fit per resample.

Resamples are drawn from ``random_state`` before anything runs, so the
numbers do not depend on ``n_jobs`` or on the joblib backend (e.g. Dask).
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import ATOMS, MI_TERMS
from ._modalities import n_groups
from ._validation import encode_labels, warn

#: Every quantity the results report, in order.
QUANTITIES = ATOMS + MI_TERMS

#: Quantities that are non-negative whatever the estimator (informations).
_NONNEGATIVE = set(MI_TERMS)

#: The null of each quantity in each route; absent: no valid null (p = NaN).
#: R, U1 and U2 are functions of the pairwise marginals p(x1, y), p(x2, y)
#: alone, so no resampling that keeps those marginals can set them to 0:
#: the uniquenesses get no p-value, and the redundancy is tested against
#: labels independent of both modalities, with at least the p-values of
#: mi_1 and mi_2 (a redundancy needs both).
_LABELS = "labels permuted"
_REDUNDANCY = "labels permuted; at least the p-values of mi_1 and mi_2"
NULLS = {
    "tables": {
        "redundancy": _REDUNDANCY,
        "synergy": "tables drawn from q* (the observed p(x1, y), p(x2, y); no "
        "synergy); at least the p-value of mi_joint",
        "mi_1": _LABELS,
        "mi_2": _LABELS,
        "mi_joint": _LABELS,
    },
    "out-of-fold": {
        "redundancy": _REDUNDANCY.replace(_LABELS, _LABELS + " within folds"),
        "mi_1": _LABELS + " within folds",
        "mi_2": _LABELS + " within folds",
        "mi_joint": _LABELS + " within folds",
    },
    "refit": {
        "redundancy": _REDUNDANCY,
        "mi_1": _LABELS,
        "mi_2": _LABELS,
        "mi_joint": _LABELS,
    },
}

#: Resamples per joblib task (a table solve or a mean is much cheaper than a
#: task's overhead).
_BATCH = {"tables": 16, "out-of-fold": 32, "refit": 1}


@dataclass(frozen=True)
class ConfidenceInterval:
    """Bounds of a confidence interval, one value per quantity.

    Attributes
    ----------
    low, high : pandas.Series
    """

    low: pd.Series
    high: pd.Series


@dataclass(frozen=True)
class BootstrapResult:
    """What :func:`bootstrap` returns; every value in the estimator's ``base``.

    Attributes
    ----------
    estimate : pandas.Series
        The estimator's values on all the data (index: the atoms, then
        ``mi_1``, ``mi_2``, ``mi_joint`` where the estimator has them).
    bias_corrected : pandas.Series
        ``2 estimate - mean(bootstrap_distribution)`` (bootstrap bias
        correction, Efron & Tibshirani 1993, §10) for the ``"tables"`` and
        ``"refit"`` routes, and for PIDBatch's ``"out-of-fold"`` route; for
        LSMIEstimator's, ``2 estimate - mean(refit_distribution)`` (split-half
        correction from the half-sample refits; ``estimate`` itself without
        them). Raised to 0 where a quantity cannot be negative (informations,
        BROJA atoms).
    standard_error : pandas.Series
        Standard deviation of the bootstrap distribution.
    confidence_interval : ConfidenceInterval
        ``confidence_level`` intervals; see ``method``.
    bootstrap_distribution : pandas.DataFrame of shape (n_resamples, n_quantities)
    confidence_level : float
    method : str
        With ``q_low``, ``q_high`` the quantiles of the bootstrap
        distribution and ``bias = mean(bootstrap) - estimate``:
        ``"bias-corrected"`` (default) ``[q_low - 2 bias, q_high - 2 bias]``,
        the percentile interval moved to be centred on ``bias_corrected``
        (it keeps the bootstrap distribution's skew, which matters near 0);
        ``"basic"`` ``[2 estimate - q_high, 2 estimate - q_low]`` (the same
        correction, skew reflected); ``"percentile"`` ``[q_low, q_high]`` (no
        correction). Quantities that cannot be negative (informations, and
        BROJA atoms) have their bounds raised to 0 where they fall below it.
        Measured coverage: ``docs/inference.md``.
    route : str
        ``"tables"``, ``"out-of-fold"`` or ``"refit"`` (module docstring).
    refit_distribution : pandas.DataFrame of shape (n_refits, n_quantities) or None
        Out-of-fold route: the values of the half-sample refits (see
        ``n_refits`` of :func:`bootstrap`); None otherwise.
    widening : pandas.Series or None
        Out-of-fold route: the factor (>= 1) by which each quantity's
        bootstrap distribution was widened around its mean (the
        ``bootstrap_distribution`` above is the widened one); None otherwise.
    """

    estimate: pd.Series
    bias_corrected: pd.Series
    standard_error: pd.Series
    confidence_interval: ConfidenceInterval
    bootstrap_distribution: pd.DataFrame
    confidence_level: float
    method: str
    route: str
    refit_distribution: pd.DataFrame | None = None
    widening: pd.Series | None = None

    def to_frame(self):
        """One row per quantity: ``estimate, bias_corrected, standard_error,
        low, high``.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame(
            {
                "estimate": self.estimate,
                "bias_corrected": self.bias_corrected,
                "standard_error": self.standard_error,
                "low": self.confidence_interval.low,
                "high": self.confidence_interval.high,
            }
        )


@dataclass(frozen=True)
class PermutationTestResult:
    """What :func:`permutation_test` returns.

    Attributes
    ----------
    statistic : pandas.Series
        The estimator's values on the data, in ``base``.
    pvalue : pandas.Series
        One-sided p-value of each quantity, ``(1 + #{null >= statistic}) /
        (1 + n_resamples)``; NaN where the route has no valid null for it.
    null : pandas.Series of str
        The null hypothesis that each p-value tests (see ``docs/inference.md``);
        ``"none"`` where the p-value is NaN.
    null_distribution : pandas.DataFrame of shape (n_resamples, n_quantities)
        The quantities under each null (NaN columns where there is none).
    route : str
    """

    statistic: pd.Series
    pvalue: pd.Series
    null: pd.Series
    null_distribution: pd.DataFrame
    route: str

    def to_frame(self):
        """One row per quantity: ``statistic, pvalue, null``.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame(
            {"statistic": self.statistic, "pvalue": self.pvalue, "null": self.null}
        )


_COMMON = {
    "estimator": "no_validation",  # checked by _fit_once
    "X": ["array-like"],
    "y": ["array-like"],
    "n_resamples": [Interval(numbers.Integral, 1, None, closed="left")],
    "n_jobs": [None, numbers.Integral],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@validate_params(
    {
        **_COMMON,
        # one resample has no spread: its "interval" would have width 0
        "n_resamples": [Interval(numbers.Integral, 2, None, closed="left")],
        "confidence_level": [Interval(numbers.Real, 0, 1, closed="neither")],
        "method": [StrOptions({"bias-corrected", "basic", "percentile"})],
        "n_refits": [Interval(numbers.Integral, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def bootstrap(
    estimator,
    X,
    y,
    *,
    n_resamples=200,
    confidence_level=0.95,
    method="bias-corrected",
    n_refits=20,
    n_jobs=None,
    random_state=None,
    verbose=0,
):
    """Bootstrap confidence intervals and bias correction of a decomposition.

    The estimator is cloned and fitted on ``(X, y)`` (the estimate), then
    on ``n_resamples`` resamples of the rows drawn with replacement within
    each class (class counts fixed), or, for cross-fitted estimators, its
    out-of-fold per-sample values are resampled, and ``n_refits`` fits on
    half of the rows widen and correct the result (module docstring).

    Parameters
    ----------
    estimator : estimator
        Unfitted template (cloned); it must set ``decomposition_`` at fit.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    n_resamples : int, default=200
        Bootstrap resamples: 50-100 for standard errors, 200 for 95 %
        intervals, 1,000 for 99 % intervals.
    confidence_level : float, default=0.95
    method : {"bias-corrected", "basic", "percentile"}, default="bias-corrected"
        Interval type (see :class:`BootstrapResult`).
    n_refits : int, default=20
        Out-of-fold route only: refits on random halves of the rows (drawn
        without replacement within each class). Resampling fixed out-of-fold
        values misses how the trained models move with the data, and their
        bias. The half-sample refits measure both: for a mean, the variance
        over half-samples without replacement is exactly its variance at
        ``n``, and a bias that falls as ``1/n`` doubles at ``n/2``. So, for
        LSMIEstimator, ``bias_corrected = 2 estimate - mean(refits)``
        (split-half correction) and the interval moves by the same amount;
        PIDBatch's atoms near 0 are biased at a slower rate, which this
        correction does not remove (measured: it lowered their coverage), so
        its refits only widen. For both, the bootstrap distribution is
        widened around its mean, per quantity, by
        ``sqrt((max(var(refits), var(bootstrap)) + var(refits) / n_refits)
        / var(bootstrap))`` (``BootstrapResult.widening``; the last term is
        the correction's own variance). Each costs about half a fit. 0 (or
        fewer than 2) skips them: the interval then covers the sampling of
        the rows only, around the uncorrected estimate.
    n_jobs : int or None, default=None
        Resamples run in parallel by joblib (``None``: 1, ``-1``: all cores;
        inside ``joblib.parallel_config(backend="dask")`` on a Dask cluster).
    random_state : int, RandomState or None, default=None
        Draws the resamples and, for the refit route, the estimator's seed in
        each resample (which adds the variability of its training).
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Returns
    -------
    BootstrapResult

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.inference import bootstrap
    >>> X, y = make_bitwise("and", n_samples=400, random_state=0)
    >>> res = bootstrap(PIDCVX(discretizer="discrete"), X, y, n_resamples=50,
    ...                 random_state=0)
    >>> res.to_frame()[["estimate", "low", "high"]].round(2)
                estimate   low  high
    redundancy      0.30  0.27  0.33
    unique_1        0.00  0.00  0.03
    unique_2        0.03  0.00  0.11
    synergy         0.50  0.45  0.53
    mi_1            0.30  0.26  0.34
    mi_2            0.33  0.30  0.40
    mi_joint        0.83  0.83  0.83
    """
    fitted, y_index = _fit_once(estimator, X, y)
    route = _route(fitted, estimator, X, y_index)
    rng = check_random_state(random_state)  # one stream: the draws, then the halves
    values = _resampled(
        route,
        route.bootstrap_values,
        lambda rng: _resample_rows(y_index, rng),
        n_resamples,
        rng,
        n_jobs,
        verbose,
        f"bootstrap ({route.name})",
    )
    refits = None
    if route.name == "out-of-fold" and n_refits >= 2:
        refitter = _Refit(fitted, estimator, X, y_index)
        refits = _resampled(
            refitter,
            refitter.half_values,
            lambda rng: _half_rows(y_index, rng),
            n_refits,
            rng,
            n_jobs,
            verbose,
            "half-sample refits",
        )
    return _bootstrap_result(
        route.estimate, values, route, confidence_level, method, fitted, refits
    )


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def permutation_test(
    estimator,
    X,
    y,
    *,
    n_resamples=199,
    n_jobs=None,
    random_state=None,
    verbose=0,
):
    """Permutation p-values of every quantity of a decomposition.

    Each quantity is compared with its values under a null hypothesis that
    is right for it (:data:`NULLS`; ``docs/inference.md`` says why):

    * ``mi_1``, ``mi_2``, ``mi_joint``: labels permuted (within folds for
      cross-fitted estimators), the null "y is independent of x1" (of x2, of
      both) for ``mi_1`` (``mi_2``, ``mi_joint``);
    * ``redundancy``: labels permuted, and the p-value is at least those of
      ``mi_1`` and ``mi_2`` (a redundancy needs information in both
      modalities); a small p-value says that both modalities inform about y
      and the redundancy exceeds what independent labels give;
    * ``synergy``: for :class:`~sklearn_pid.PIDCVX`, tables drawn from the
      fitted ``q_``, which has the observed ``p(x1, y)``, ``p(x2, y)`` and no
      synergy (a parametric bootstrap of the null ``synergy = 0``), and the
      p-value is at least that of ``mi_joint`` (a synergy needs
      information; alone, the ``q_`` null rejected 13 % of independent
      labels at 0.05, with it 3 %); NaN for
      the other estimators (their null would need the posteriors refitted
      on every drawn data set);
    * ``unique_1``, ``unique_2``: NaN. Like the redundancy they are
      functions of ``p(x1, y)`` and ``p(x2, y)`` alone, so no resampling
      that keeps those marginals sets them to 0, and the obvious stand-in
      (labels permuted within the states of the other modality) tests
      "y independent of x1 given x2", which is false wherever there is
      synergy or noise in redundant copies, with ``unique_1 = 0``. Read
      their bootstrap intervals instead.

    Parameters
    ----------
    estimator : estimator
        Unfitted template (cloned); it must set ``decomposition_`` at fit.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    n_resamples : int, default=199
        Permutations (or null tables) per quantity. The smallest p-value is
        ``1 / (1 + n_resamples)``: 199 gives p down to 0.005.
    n_jobs, random_state, verbose
        As in :func:`bootstrap`.

    Returns
    -------
    PermutationTestResult

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.inference import permutation_test
    >>> X, y = make_bitwise("and", n_samples=400, random_state=0)
    >>> res = permutation_test(PIDCVX(discretizer="discrete"), X, y,
    ...                        n_resamples=99, random_state=0)
    >>> res.pvalue.round(2)
    redundancy    0.01
    unique_1       NaN
    unique_2       NaN
    synergy       0.01
    mi_1          0.01
    mi_2          0.01
    mi_joint      0.01
    Name: pvalue, dtype: float64
    """
    fitted, y_index = _fit_once(estimator, X, y)
    route = _route(fitted, estimator, X, y_index)
    null = _resampled(
        route,
        route.null_values,
        route.null_draw,
        n_resamples,
        random_state,
        n_jobs,
        verbose,
        f"permutation test ({route.name})",
    )
    names = route.estimate.index
    nulls = NULLS[route.name]
    null = pd.DataFrame(null, columns=names)
    for name in names:
        if name not in nulls:
            null[name] = np.nan
    stat = route.estimate
    # ties within rounding count as "at least as large" (scipy's convention)
    slack = 1e-9 * np.maximum(1.0, np.abs(stat.to_numpy()))
    exceed = (null.to_numpy() >= stat.to_numpy() - slack).sum(axis=0)
    pvalue = pd.Series((1 + exceed) / (1 + n_resamples), index=names, name="pvalue")
    # an atom needs information: at least the p-value(s) of what it needs
    if {"mi_1", "mi_2"} <= set(names):
        pvalue["redundancy"] = pvalue[["redundancy", "mi_1", "mi_2"]].max()
    if "mi_joint" in names:
        pvalue["synergy"] = pvalue[["synergy", "mi_joint"]].max()
    pvalue[[n for n in names if n not in nulls]] = np.nan
    return PermutationTestResult(
        statistic=stat.rename("statistic"),
        pvalue=pvalue,
        null=pd.Series([nulls.get(n, "none") for n in names], index=names, name="null"),
        null_distribution=null,
        route=route.name,
    )


# ----------------------------------------------------------------- routes


class _Refit:
    """One fit per resample (any estimator)."""

    name = "refit"

    def __init__(self, fitted, template, X, y_index):
        self.template = template
        self.X = X if hasattr(X, "iloc") else np.asarray(X)  # rows by index
        self.classes = fitted.classes_
        self.y_index = y_index
        self.estimate = _values(fitted)

    def _fit(self, rows, labels, seed):
        est = clone(self.template)
        if "random_state" in est.get_params():
            est.set_params(random_state=int(seed))
        if "bias_correction" in est.get_params():
            est.set_params(bias_correction="none")  # unused in a resample
        X = self.X.iloc[rows] if hasattr(self.X, "iloc") else self.X[rows]
        fitted = est.fit(X, self.classes[labels])
        return _values(fitted).reindex(self.estimate.index).to_numpy()

    def bootstrap_values(self, task):
        """A refit on resampled rows; NaN where the estimator cannot fit them
        (e.g. a rare value left out makes a modality constant, or a class has
        too few samples for the folds): the result warns and leaves it out."""
        rows, seed = task
        try:
            return self._fit(rows, self.y_index[rows], seed)
        except ValueError:
            return np.full(self.estimate.size, np.nan)

    half_values = bootstrap_values

    def null_draw(self, rng):
        return rng.permutation(self.y_index.size)

    def null_values(self, task):
        order, seed = task
        return self._fit(np.arange(order.size), self.y_index[order], seed)


class _Tables(_Refit):
    """PIDCVX: count tables for the nulls; for the bootstrap, refits where the
    states are learnt from the data (bins, clusters), tables of resampled rows
    where they are the values themselves ("discrete": the same numbers as a
    refit, without its overhead)."""

    name = "tables"

    def __init__(self, fitted, template, X, y_index):
        super().__init__(fitted, template, X, y_index)
        self.fitted = fitted
        s1, s2, _, weights = fitted._fit_states
        self.states = s1, s2
        self.weights = weights
        self.q = fitted.q_.ravel()
        self.n = int(round(weights.sum()))
        self.fixed_states = set(fitted.discretization_.values()) == {"discrete"}

    def bootstrap_values(self, task):
        if not self.fixed_states:
            return super().bootstrap_values(task)
        rows, _ = task
        s1, s2 = self.states
        return self.fitted._table_values(
            s1[rows], s2[rows], self.y_index[rows], self.weights[rows]
        )

    def null_draw(self, rng):
        order = rng.permutation(self.y_index.size)
        return order, rng.multinomial(self.n, self.q / self.q.sum())

    def null_values(self, task):
        (order, counts), _ = task
        s1, s2 = self.states
        table = self.fitted._table_values
        out = table(s1, s2, self.y_index[order], self.weights)
        out[1:3] = np.nan
        shape = self.fitted.q_.shape
        cells = np.unravel_index(np.flatnonzero(counts), shape)
        drawn = table(*cells, counts[counts > 0].astype(float))
        out[3] = drawn[3]
        return out


class _OutOfFold:
    """Cross-fitted estimators: resample rows and permute labels against the
    out-of-fold values (``statistic(rows, labels)``, given by the estimator)."""

    name = "out-of-fold"

    def __init__(self, fitted, statistic, folds, y_index):
        self.statistic = statistic
        self.folds = folds
        self.y_index = y_index
        self.estimate = _values(fitted)

    def bootstrap_values(self, task):
        rows, _ = task
        return self.statistic(rows, self.y_index[rows])

    def null_draw(self, rng):
        return _permute_within(self.folds, self.y_index, rng)

    def null_values(self, task):
        labels, _ = task
        return self.statistic(np.arange(labels.size), labels)


def _route(fitted, template, X, y_index):
    """The cheapest valid route for this fitted estimator."""
    hook = getattr(fitted, "_out_of_fold_statistic", None)
    if hook is not None:
        statistic, folds = hook(X)
        if statistic is not None:
            return _OutOfFold(fitted, statistic, folds, y_index)
    if hasattr(fitted, "_fit_states"):
        return _Tables(fitted, template, X, y_index)
    return _Refit(fitted, template, X, y_index)


# ---------------------------------------------------------------- helpers


def _fit_once(estimator, X, y):
    """Clone and fit the estimator on all the data; check what it reports."""
    if not hasattr(estimator, "fit") or not hasattr(estimator, "get_params"):
        raise TypeError(
            "estimator must be a scikit-learn estimator (with fit and "
            f"get_params); got {type(estimator).__name__}."
        )
    modalities = estimator.get_params().get("modalities")
    if n_groups(modalities) > 2:
        raise ValueError(
            f"bootstrap and permutation_test take one pair at a time; got "
            f"{n_groups(modalities)} modalities. Set modalities to the two "
            "selections of the pair (or a modality and the union of the others)."
        )
    fitted = clone(estimator).fit(X, y)
    if not isinstance(getattr(fitted, "decomposition_", None), pd.Series):
        raise TypeError(
            f"{type(estimator).__name__} sets no decomposition_ (a pandas "
            "Series) at fit; bootstrap and permutation_test need one."
        )
    _, y_index = encode_labels(np.asarray(y), fitted.classes_)
    return fitted, y_index


def _values(fitted):
    """The decomposition and, where set, ``mi_1_, mi_2_, mi_joint_``."""
    values = fitted.decomposition_.astype(float).copy()
    for name in MI_TERMS:
        if hasattr(fitted, f"{name}_"):
            values[name] = float(getattr(fitted, f"{name}_"))
    values.name = "estimate"
    return values


def _resample_rows(y_index, rng):
    """Rows drawn with replacement within each class (class counts kept)."""
    rows = np.empty(y_index.size, dtype=np.int64)
    for c in np.unique(y_index):
        members = np.flatnonzero(y_index == c)
        rows[members] = rng.choice(members, size=members.size)
    return rows


def _half_rows(y_index, rng):
    """Half of the rows of each class (rounded down), without replacement."""
    halves = [
        rng.choice(members, size=members.size // 2, replace=False)
        for members in (np.flatnonzero(y_index == c) for c in np.unique(y_index))
    ]
    return np.sort(np.concatenate(halves))


def _permute_within(groups, y_index, rng):
    """The labels permuted within each group."""
    out = y_index.copy()
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        out[members] = y_index[rng.permutation(members)]
    return out


def _resampled(route, function, draw, n_resamples, random_state, n_jobs, verbose, what):
    """``function((draw, seed))`` of a route for ``n_resamples`` draws, in
    joblib batches.

    Every draw and seed comes from ``random_state`` before anything runs, so
    the results (in draw order) do not depend on ``n_jobs`` or the backend.
    The seed is the estimator's ``random_state`` in a refit.
    """
    rng = check_random_state(random_state)
    draws = [draw(rng) for _ in range(n_resamples)]
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_resamples)
    tasks = list(zip(draws, seeds))
    size = _BATCH[route.name]
    batches = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    results = parallel(delayed(_map)(function, batch) for batch in batches)
    if verbose:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(batches), desc=f"{what}, batches")
    return np.vstack([r for batch in results for r in batch])


def _map(function, batch):
    # the estimate's fit has warned the user once; resamples repeat it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [function(task) for task in batch]


def _bootstrap_result(estimate, values, route, level, method, fitted, refits=None):
    names = estimate.index
    dist = pd.DataFrame(values, columns=names)
    failed = dist.isna().any(axis=1)
    if failed.all():
        raise ValueError(
            f"Every one of the {len(dist)} bootstrap resamples failed (the "
            "estimator could not be fitted on them); fit it on the data to see why."
        )
    if failed.any():
        warn(
            f"{int(failed.sum())} of {len(dist)} bootstrap resamples gave NaN; "
            "they are left out of the intervals.",
            RuntimeWarning,
        )
    mean = dist.mean()
    widening, half_bias = None, 0.0 * estimate
    split_half = route.name == "out-of-fold" and getattr(
        fitted, "_split_half_correction", True
    )
    if refits is not None:
        refits = pd.DataFrame(refits, columns=names).dropna()
        widening = _widening(dist, refits)
        dist = mean + (dist - mean) * widening
        if len(refits) >= 2 and split_half:
            half_bias = refits.mean() - estimate
    alpha = (1 - level) / 2
    q_low, q_high = dist.quantile(alpha), dist.quantile(1 - alpha)
    if method == "bias-corrected":
        shift = 2 * (mean - estimate) + half_bias
        low, high = q_low - shift, q_high - shift
    elif method == "basic":
        low, high = 2 * estimate - q_high - half_bias, 2 * estimate - q_low - half_bias
    else:
        low, high = q_low, q_high
    nonnegative = [
        n
        for n in names
        if n in _NONNEGATIVE
        or (n in ATOMS and getattr(fitted, "_nonnegative_atoms", 0))
    ]
    low[nonnegative] = low[nonnegative].clip(lower=0)
    high[nonnegative] = high[nonnegative].clip(lower=0)
    if split_half:
        corrected = estimate - half_bias
    else:
        corrected = 2 * estimate - mean
    corrected[nonnegative] = corrected[nonnegative].clip(lower=0)
    return BootstrapResult(
        estimate=estimate,
        bias_corrected=corrected.rename("bias_corrected"),
        standard_error=dist.std(ddof=1).rename("standard_error"),
        confidence_interval=ConfidenceInterval(
            low=low.rename("low"), high=high.rename("high")
        ),
        bootstrap_distribution=dist,
        confidence_level=float(level),
        method=method,
        route=route.name,
        refit_distribution=refits,
        widening=widening,
    )


def _widening(dist, refits):
    """Per quantity, ``sqrt((max(var(refits), var(dist)) + var(refits) / R)
    / var(dist))``: the larger of the two variances, plus that of the
    split-half bias correction (the mean of R refits)."""
    if len(refits) < 2:
        warn(
            "Fewer than 2 half-sample refits succeeded; the intervals cover the "
            "sampling of the rows only.",
            RuntimeWarning,
        )
        return pd.Series(1.0, index=dist.columns, name="widening")
    spread, fixed = refits.var(ddof=1), dist.var(ddof=1)
    total = np.maximum(spread, fixed) + spread / len(refits)
    ratio = np.sqrt(total / fixed.where(fixed > 0)).fillna(1.0)
    return ratio.clip(lower=1.0).rename("widening")
