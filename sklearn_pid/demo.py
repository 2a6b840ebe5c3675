"""The demo benchmark of ``sklearn-pid demo``: every estimator on built-in data.

:func:`demo_table` fits the estimators and returns their decompositions, with
bootstrap confidence intervals on the real data (:data:`DEMO_INTERVALS`;
:func:`demo_rows` names its rows beforehand); :func:`demo_notes` describes
the data of each row, with numbers computed from the constants below and from
the package itself.
"""

import time
import warnings
from fractions import Fraction
from functools import partial

import numpy as np
import pandas as pd

from ._base import ATOMS
from ._tables import broja_decomposition
from .batch import PIDBatch
from .cvx import PIDCVX
from .datasets import (
    DIGITS_HALF,
    boolean_mixture_table,
    load_digits_halves,
    make_bitwise,
    make_boolean_mixture,
    make_gaussian_mixture,
    make_gaussian_modalities,
)
from .dmi import DMIClassifier
from .lsmi import LSMIEstimator

#: Columns of :func:`demo_table`: fitted attribute of the estimator -> column name.
DEMO_COLUMNS = {
    "redundancy_": "redundancy",
    "unique_1_": "unique_1",
    "unique_2_": "unique_2",
    "synergy_": "synergy",
    "mi_1_": "I(X1;Y)",
    "mi_2_": "I(X2;Y)",
    "mi_joint_": "I(X1,X2;Y)",
}

BITWISE_GATES = ("and", "or", "xor")
BITWISE_SAMPLES = 10000
GMM_SAMPLES = 20000
GMM_NORM = 2.0
GMM_ANGLE = np.pi / 4
GMM_BINS = 50
GMM_RANGE = (-5, 5)
DIGITS_CLUSTERS = 20
TOY_SAMPLES = 2000
TOY_CLASSES = 2
TOY_RHO = 0.5
MIXTURE = "and+xor"
MIXTURE_SAMPLES = 4000
MIXTURE_INFORMATIVE = 8
MIXTURE_NOISE = 8

#: Confidence level of the intervals of :func:`demo_table`.
CONFIDENCE_LEVEL = 0.95

#: Rows with bootstrap intervals -> bootstrap resamples. PIDCVX refits on each
#: resample (k-means and a BROJA solve, a second or two on the digits: few
#: resamples, a rough interval); LSMIEstimator resamples its out-of-fold values
#: and refits on 20 halves of the rows. DMIClassifier would refit its networks
#: on every resample: no intervals.
DEMO_INTERVALS = {
    ("PIDCVX", "digits halves"): 20,
    ("LSMIEstimator", "digits halves"): 200,
}

#: Estimators whose bootstrap's fit on all the data is the row's fit (their
#: out-of-fold values are resampled), rather than a second one.
FITTED_BY_BOOTSTRAP = ("LSMIEstimator",)

#: Fewer refits than this make a rough interval (said in the notes).
ROUGH_BELOW = 200

#: How each estimator of :data:`DEMO_INTERVALS` is resampled (for the notes).
RESAMPLED = {
    "PIDCVX": "refits (1-2 s each)",
    "LSMIEstimator": "resamples of its out-of-fold values and 20 refits on "
    "half of the rows",
}


def _demo_cases(seed):
    """Yield ``(estimator name, dataset name, load, unfitted estimator)``.

    ``load()`` returns the row's ``X, y``: the data are made only when the row
    is fitted, so that :func:`demo_rows` is instantaneous.
    """
    for gate in BITWISE_GATES:
        yield (
            "PIDCVX",
            gate.upper(),
            partial(make_bitwise, gate, BITWISE_SAMPLES, random_state=seed),
            PIDCVX(discretizer="discrete", random_state=seed),
        )
    yield (
        "PIDCVX",
        "GMM",
        partial(_gaussian_mixture, seed),
        PIDCVX(
            discretizer="uniform",
            n_bins=GMM_BINS,
            bin_range=GMM_RANGE,
            random_state=seed,
        ),
    )
    yield (
        "PIDCVX",
        "digits halves",
        load_digits_halves,
        PIDCVX(
            modalities=DIGITS_HALF,
            discretizer="kmeans",
            n_clusters=DIGITS_CLUSTERS,
            random_state=seed,
        ),
    )
    yield (
        "PIDBatch",
        "GMM",
        partial(_gaussian_mixture, seed),
        PIDBatch(random_state=seed),
    )
    yield (
        "LSMIEstimator",
        "Gaussian views",
        partial(
            make_gaussian_modalities,
            TOY_SAMPLES,
            n_classes=TOY_CLASSES,
            rho=TOY_RHO,
            random_state=seed,
        ),
        LSMIEstimator(modalities=TOY_CLASSES, random_state=seed),
    )
    yield (
        "LSMIEstimator",
        "digits halves",
        load_digits_halves,
        LSMIEstimator(modalities=DIGITS_HALF, random_state=seed),
    )
    yield (
        "DMIClassifier",
        f"{MIXTURE.upper()} mixture",
        partial(
            make_boolean_mixture,
            MIXTURE,
            MIXTURE_SAMPLES,
            n_informative=MIXTURE_INFORMATIVE,
            n_noise=MIXTURE_NOISE,
            random_state=seed,
        ),
        # each modality: its informative columns, then its noise columns
        DMIClassifier(
            modalities=MIXTURE_INFORMATIVE + MIXTURE_NOISE, random_state=seed
        ),
    )
    yield (
        "DMIClassifier",
        "digits halves",
        load_digits_halves,
        DMIClassifier(modalities=DIGITS_HALF, random_state=seed),
    )


def _fit_row(estimator, X, y, n_resamples, by_bootstrap, seed):
    """Fit one row, and bootstrap it if ``n_resamples``.

    With ``by_bootstrap`` the bootstrap's own fit on all the data (the same
    numbers) gives the row's values and time: its resamples of out-of-fold
    values take milliseconds, and a second fit is saved.

    Returns
    -------
    row : dict
        The values of :data:`DEMO_COLUMNS`.
    seconds : float
        Wall time of the fit.
    result : BootstrapResult or None
    bootstrap_seconds : float or None
        Wall time of the bootstrap.
    """
    from .inference import bootstrap  # the demo's only use of it

    result = bootstrap_seconds = None
    start = time.perf_counter()
    if not (n_resamples and by_bootstrap):
        estimator.fit(X, y)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
    if n_resamples:
        result = bootstrap(
            estimator,
            X,
            y,
            n_resamples=n_resamples,
            confidence_level=CONFIDENCE_LEVEL,
            random_state=seed,
        )
        bootstrap_seconds = time.perf_counter() - start
    if n_resamples and by_bootstrap:
        seconds = bootstrap_seconds
        values = result.estimate
        row = {c: float(values[a.rstrip("_")]) for a, c in DEMO_COLUMNS.items()}
    else:
        row = {col: getattr(estimator, attr) for attr, col in DEMO_COLUMNS.items()}
    return row, seconds, result, bootstrap_seconds


def _gaussian_mixture(seed):
    """The demo's Gaussian mixture ``X, y``."""
    return make_gaussian_mixture(
        GMM_SAMPLES, norm=GMM_NORM, angle=GMM_ANGLE, random_state=seed
    )


def demo_rows():
    """The rows of :func:`demo_table`, in order, without fitting anything.

    Returns
    -------
    list of tuple of str
        ``(estimator, dataset)`` of each row.
    """
    return [(method, dataset) for method, dataset, _, _ in _demo_cases(0)]


def interval_columns():
    """The interval columns of :func:`demo_table`, in order.

    Returns
    -------
    list of str
        ``"redundancy low"``, ``"redundancy high"``, ..., ``"I(X1,X2;Y) high"``.
    """
    return [f"{col} {end}" for col in DEMO_COLUMNS.values() for end in ("low", "high")]


def demo_table(seed=0, on_row=None, intervals=True):
    """Every estimator on the bitwise gates, Gaussian data and the digits halves.

    Parameters
    ----------
    seed : int, default=0
        Seed of the generated data, of every estimator and of the bootstrap.
    on_row : callable or None, default=None
        Called as ``on_row(name, row, messages)`` as soon as each row is
        fitted (and bootstrapped), in the order of :func:`demo_rows` (e.g. to
        show the rows of a long run as they come): ``name`` is ``(estimator,
        dataset)``, ``row`` a :class:`pandas.Series` of the table's columns
        and ``messages`` the row's warning messages.
    intervals : bool, default=True
        Add :data:`CONFIDENCE_LEVEL` bootstrap confidence intervals
        (:func:`sklearn_pid.inference.bootstrap`, bias-corrected intervals, seeded by
        ``seed``) to the rows of :data:`DEMO_INTERVALS`, with the number of
        resamples given there.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(estimator, dataset)``; columns ``redundancy, unique_1,
        unique_2, synergy, I(X1;Y), I(X2;Y), I(X1,X2;Y)`` in bits and
        ``seconds``, the wall time of ``fit`` (in a row of
        :data:`FITTED_BY_BOOTSTRAP` with intervals, of the bootstrap: its one
        fit and milliseconds of resampling); with ``intervals``, then the
        bounds of each, :func:`interval_columns` (``"redundancy low"``,
        ``"redundancy high"``, ...; NaN in the rows without intervals).
        ``table.attrs["warnings"]`` maps each row's ``(estimator, dataset)``
        to the messages of the warnings its fit (and bootstrap) raised, each
        once, in order; ``table.attrs["intervals"]`` maps each row with
        intervals to ``{"resamples": ..., "route": ..., "seconds": ...}``
        (the wall time of the bootstrap).
    """
    rows, notes, bootstrapped = {}, {}, {}
    for method, dataset, load, estimator in _demo_cases(seed):
        name = (method, dataset)
        X, y = load()
        n_resamples = DEMO_INTERVALS.get(name) if intervals else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            row, seconds, result, bootstrap_seconds = _fit_row(
                estimator, X, y, n_resamples, method in FITTED_BY_BOOTSTRAP, seed
            )
        rows[name] = {**row, "seconds": seconds}
        if result is not None:
            bootstrapped[name] = {
                "resamples": n_resamples,
                "route": result.route,
                "seconds": bootstrap_seconds,
            }
        if intervals:
            bounds = dict.fromkeys(interval_columns(), np.nan)
            if result is not None:
                ci = result.confidence_interval
                for attr, col in DEMO_COLUMNS.items():
                    bounds[f"{col} low"] = ci.low[attr.rstrip("_")]
                    bounds[f"{col} high"] = ci.high[attr.rstrip("_")]
            rows[name].update(bounds)
        notes[name] = list(dict.fromkeys(str(w.message) for w in caught))
        if on_row is not None:
            on_row(name, pd.Series(rows[name], name=name), notes[name])
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["estimator", "dataset"]
    table.attrs["warnings"] = notes
    table.attrs["intervals"] = bootstrapped
    return table


def exact_mixture_shares():
    """Exact BROJA shares of the demo's boolean mixture.

    Returns
    -------
    pandas.Series
        ``redundancy``, ``unique_1``, ``unique_2``, ``synergy`` of
        :func:`~sklearn_pid.datasets.boolean_mixture_table` as fractions of
        their sum.

    Examples
    --------
    >>> from sklearn_pid.demo import exact_mixture_shares
    >>> exact_mixture_shares().round(3)
    redundancy    0.214
    unique_1      0.000
    unique_2      0.000
    synergy       0.786
    dtype: float64
    """
    atoms = broja_decomposition(boolean_mixture_table(MIXTURE))[list(ATOMS)]
    return atoms / atoms.sum()


def _pi_multiple(angle):
    """``"pi/4"`` for ``pi / 4``: an angle as a simple fraction of pi."""
    ratio = Fraction(angle / np.pi).limit_denominator(12)
    numerator = "" if ratio.numerator == 1 else str(ratio.numerator)
    denominator = "" if ratio.denominator == 1 else f"/{ratio.denominator}"
    return f"{numerator}pi{denominator}"


def demo_notes():
    """What the rows of :func:`demo_table` are computed on, as text.

    Returns
    -------
    str
        A few lines: sample sizes and parameters of the data and estimators,
        and the exact shares of the boolean mixture (from
        :func:`exact_mixture_shares`).
    """
    gates = ", ".join(gate.upper() for gate in BITWISE_GATES)
    shares = "/".join(f"{abs(round(100 * s, 1)):g}" for s in exact_mixture_shares())
    low, high = GMM_RANGE
    return (
        f"{gates}: {BITWISE_SAMPLES} pairs of fair bits. "
        f"GMM: {GMM_SAMPLES} points, ||mu||={GMM_NORM:g}, "
        f"angle={_pi_multiple(GMM_ANGLE)}, {GMM_BINS} uniform bins on "
        f"[{low:g}, {high:g}].\n"
        "digits halves: top vs bottom half of scikit-learn's 8x8 digits "
        f"(PIDCVX: {DIGITS_CLUSTERS} k-means clusters per half).\n"
        "PIDBatch: the same GMM data, no binning (posteriors and alignment learned "
        "by neural networks).\n"
        f"Gaussian views: {TOY_SAMPLES} samples of make_gaussian_modalities("
        f"n_classes={TOY_CLASSES}, rho={TOY_RHO:g}); LSMIEstimator values are "
        "means of out-of-fold per-sample values.\n"
        f"{MIXTURE.upper()} mixture: {MIXTURE_SAMPLES} samples of "
        f"make_boolean_mixture({MIXTURE!r}) (exact shares {shares} %); "
        "DMIClassifier values: information used by the fitted model's "
        "prediction, on its training data.\n" + interval_notes()
    )


def interval_notes():
    """What the intervals of :func:`demo_table` are, as text.

    Returns
    -------
    str
        The confidence level and the bootstrap, then one line for each row of
        :data:`DEMO_INTERVALS`: its resamples (few refits: a rough interval).
    """
    lines = [
        f"Intervals: {100 * CONFIDENCE_LEVEL:g} % bias-corrected bootstrap "
        "(sklearn_pid.inference.bootstrap), rows resampled within each class.",
        "  Centred on the bias-corrected value: an interval may exclude the "
        "uncorrected estimate above.",
    ]
    for (method, dataset), n in DEMO_INTERVALS.items():
        text = f"  {method} on {dataset}: {n} {RESAMPLED[method]}"
        if n < ROUGH_BELOW and RESAMPLED[method].startswith("refits"):
            text += f": a rough interval, {ROUGH_BELOW} make a careful one"
        lines.append(text + ".")
    lines.append(
        "  Other rows: none (DMIClassifier would refit its networks on every resample)."
    )
    return "\n".join(lines)
