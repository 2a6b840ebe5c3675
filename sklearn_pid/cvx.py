"""PIDCVX: exact dataset-level partial information decomposition."""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._base import ATOMS, COMMON_CONSTRAINTS, MI_TERMS, InformationEstimator
from ._broja import solve_broja
from ._discretize import METHODS, ModalityDiscretizer
from ._groups import shared_fit
from ._information import pid_from_tables
from ._modalities import n_groups
from ._tables import (  # broja_decomposition: its public path before 0.1
    broja_decomposition,  # noqa: F401
    plugin_bias,
    pointwise_table,
    round_tolerance,
    smoothed_posterior,
)
from ._validation import warn

#: Largest joint table |X1| x |X2| x |Y| that fit accepts.
MAX_CELLS = 4_000_000

#: Samples per cell of the joint table that the "auto" sizes aim at.
SAMPLES_PER_CELL = 5

#: Random halvings of the split-half bias correction.
N_HALVINGS = 3


def auto_states(n_samples, n_classes):
    """States per modality for ``n_clusters="auto"``: ``N / (5 K_y)`` cells."""
    return int(np.clip(np.sqrt(n_samples / (SAMPLES_PER_CELL * n_classes)), 2, 20))


def auto_bins(states, n_columns):
    """Bins per column for ``n_bins="auto"``: ``states ** (1 / d)``, in [2, 10]."""
    return int(np.clip(np.floor(states ** (1 / n_columns) + 1e-9), 2, 10))


class PIDCVX(InformationEstimator):
    """Exact partial information decomposition of discrete(-ised) modalities.

    Solves the Bertschinger et al. (2014) definition ("BROJA") exactly by
    convex optimisation, as in Liang et al. (NeurIPS 2023, §3.1): among the
    tables ``q(x1, x2, y)`` with the observed marginals ``p(x1, y)`` and
    ``p(x2, y)``, take the one with the largest ``H_q(Y | X1, X2)``; then

    * ``unique_1 = I_q(X1; Y | X2)``, ``unique_2 = I_q(X2; Y | X1)``,
    * ``redundancy = I(X1; Y) - unique_1``,
    * ``synergy = I_p(X1, X2; Y) - I_q(X1, X2; Y)``,

    so that ``R + U1 = I(X1;Y)``, ``R + U2 = I(X2;Y)`` and
    ``R + U1 + U2 + S = I(X1,X2;Y)``. Each modality becomes one discrete
    variable: the joint state of its columns, after the ``discretizer``.

    Parameters
    ----------
    $modalities
    discretizer : str, estimator or pair, default="auto"
        How a modality's rows become states: ``"discrete"`` (values as they
        are), ``"uniform"`` / ``"quantile"`` (``n_bins`` equal-width or
        equal-mass bins per column), ``"kmeans"`` (standardise, optional PCA,
        ``n_clusters`` clusters), a scikit-learn clusterer with ``predict`` or
        a transformer whose ``transform`` gives discrete codes, or ``"auto"``:
        ``"discrete"`` for non-numeric modalities and for whole numbers with
        at most ``max(n_bins, n_clusters)`` states (10 and 20 where they are
        ``"auto"``), else ``"quantile"`` for one
        column and ``"kmeans"`` for several. A pair gives one per modality.
        ``discretization_`` says what was used.
    n_bins : int or "auto", default="auto"
        Bins per column for ``"uniform"`` and ``"quantile"``. ``"auto"``: the
        ``d``-th root of the states per modality below (``d`` columns), at
        least 2 and at most 10.
    n_clusters : int or "auto", default="auto"
        Clusters per modality for ``"kmeans"``. ``"auto"`` chooses the states
        from the sample size ``N`` and the number of classes ``K_y``, so that
        the joint table has about :data:`SAMPLES_PER_CELL` samples per cell
        (the plug-in bias of ``I(X1,X2;Y)`` then stays about
        ``(K_y - 1) / (2 SAMPLES_PER_CELL K_y)`` nats, small against typical
        informations): ``floor(sqrt(N / (5 K_y)))``, with ``N`` the number of
        rows (with ``sample_weight``, of rows of positive weight: the sizes
        do not depend on the weights' scale), at least 2 and at most
        20 (7 states per modality for 569 samples and 2 classes, 5 for 1,797
        samples and 10 classes, 20 from 4,000 samples and 2 classes).
    pca_components : int or None, default=None
        PCA dimension before k-means.
    bin_range : (float, float) or None, default=None
        Range ``(low, high)`` of the ``"uniform"`` bins of every column (e.g.
        ``(-5, 5)``); ``None`` uses each column's range in the data. Values
        outside fall into the edge bins.
    solver : str, default="auto"
        ``"auto"``/``"newton"``: the package's primal-dual interior-point
        solver on the table's support (certified to a duality gap of ``1e-9``
        nats), or the name of an installed CVXPY exponential-cone solver
        (``"CLARABEL"``, ``"ECOS"``, ``"SCS"``). ``"auto"`` moves to CLARABEL
        with tight tolerances where Newton does not certify the optimum in
        its step budget. Each fallback to the next installed solver warns; if
        all fail a ``SolverError`` holds their messages.
    solver_options : dict or None, default=None
        Options for the solver (``tol``, ``max_iter`` for ``"newton"``; keyword
        arguments of ``cvxpy.Problem.solve`` otherwise).
    alpha : float, default=1.0
        Pseudo-count of the smoothed posterior ``p(y | x1, x2)`` used by
        ``predict_proba``, ``transform`` and ``score``: each cell gets ``alpha``
        samples spread by a back-off ``p(y|x1) p(y|x2) / p(y)``.
    bias_correction : {"split-half", "none"}, default="split-half"
        Bias correction of ``decomposition_corrected_``. ``"split-half"``: the
        plug-in bias of information estimates from a table of ``N`` samples
        falls as ``1/N`` (Miller 1955; Treves & Panzeri 1995), so each
        quantity is also computed on the two halves of
        :data:`N_HALVINGS` random halvings of the samples (states kept) and
        extrapolated to infinite samples: ``2 v(N) - mean v(N/2)`` (the
        linear term of Strong et al., 1998). ``decomposition_`` stays the
        plug-in estimate. ``"none"`` skips it (a faster fit).
    $base
    random_state : int, RandomState or None, default=None
        Seed of k-means, PCA and the halvings of ``bias_correction``.
    verbose : int, default=0
        ``>= 1`` prints the Newton solver's progress, one line each time its
        barrier parameter falls (large tables take minutes); ``> 1`` also the
        CVXPY solver log.

    Attributes
    ----------
    $decomposition_attributes
    $input_attributes
    p_ : ndarray of shape (n_states_1, n_states_2, n_classes)
        The (weighted) empirical joint table ``p(x1, x2, y)``.
    q_ : ndarray of shape (n_states_1, n_states_2, n_classes)
        The optimal table of the BROJA problem.
    solver_, status_ : str
        Solver that produced ``q_`` and its status.
    marginal_violation_ : float
        ``max |q(xi, y) - p(xi, y)|``.
    n_iter_ : int
        Solver iterations.
    discretization_ : dict
        The discretisation used for ``"modality_1"`` and ``"modality_2"``.
    n_states_ : tuple of int
        Number of states of each modality.
    decomposition_corrected_ : pandas.Series
        The four atoms after ``bias_correction`` (index as
        ``decomposition_``), in ``base``; they can be slightly negative where
        the plug-in value is bias only. Absent with ``"none"``. For intervals
        and p-values, see :mod:`sklearn_pid.inference`.
    bias_ : pandas.Series
        The estimated bias of the atoms and of ``mi_1``, ``mi_2``,
        ``mi_joint`` (plug-in minus corrected), in ``base``. Absent with
        ``"none"``.
    plugin_bias_ : float
        Rough estimate of the upward bias of the plug-in ``I(X1,X2;Y)``, in
        ``base`` (exact under independence, pessimistic when ``y`` is largely
        predictable from the states):
        ``(K_12 - 1)(K_y - 1) / (2 N)`` with ``K_12``, ``K_y`` the occupied
        ``(x1, x2)`` cells and classes and ``N`` the number of samples (the
        chi-square approximation under independence). A warning is
        raised when it exceeds both 10 % of ``mi_joint_`` and 0.01 bit: too
        many states for the sample size, or (with the ``"auto"`` sizes) labels
        that carry little information, where most of the estimate is bias.
        With ``sample_weight``, ``N`` is the total weight.
    posterior_ : ndarray of shape (n_states_1 + 1, n_states_2 + 1, n_classes)
        The smoothed posterior ``p(y | x1, x2)`` of every pair of states (the
        last row and column: a state unseen in fit).
    pointwise_ : ndarray of shape (n_states_1 + 1, n_states_2 + 1, n_classes, 4)
        The per-sample atoms of every cell, in ``base``.

    Notes
    -----
    Per-sample values (``interactions``, ``transform``) decompose pointwise
    mutual information: with ``i1 = log p(y|x1)/p(y)``, ``i2``, ``i12``
    likewise, and ``iq`` the average of
    ``E_q[log q(y|X1,X2)/p(y) | x1, y]`` and ``E_q[... | x2, y]``,
    ``r = i1 + i2 - iq``, ``u1 = iq - i2``, ``u2 = iq - i1``, ``s = i12 - iq``.
    Since ``q`` keeps the ``(xi, y)`` marginals, their mean over the fitting
    samples equals the dataset atoms. A term whose state or state-label pair
    never occurred in fit is 0 (no information is attributed to it), and for
    an unseen state ``iq`` uses the other modality's anchor alone.

    References
    ----------
    $broja_references

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> X, y = make_bitwise("xor", n_samples=4000, random_state=0)
    >>> PIDCVX().fit(X, y).decomposition_.round(2)
    redundancy    0.0
    unique_1      0.0
    unique_2      0.0
    synergy       1.0
    Name: pid, dtype: float64
    """

    _parameter_constraints = {
        **{k: COMMON_CONSTRAINTS[k] for k in ("modalities", "base", "random_state")},
        "discretizer": [StrOptions(set(METHODS)), HasMethods(["fit"]), tuple, list],
        "n_bins": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 2, None, closed="left"),
        ],
        "n_clusters": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "pca_components": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "bin_range": [None, tuple, list],
        "solver": [str],
        "solver_options": [None, dict],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "bias_correction": [StrOptions({"split-half", "none"})],
        "verbose": ["verbose"],
    }
    _input_dtype = None
    _nonnegative_atoms = True  # BROJA atoms (bootstrap bounds clipped at 0)

    def __init__(
        self,
        *,
        modalities=None,
        discretizer="auto",
        n_bins="auto",
        n_clusters="auto",
        pca_components=None,
        bin_range=None,
        solver="auto",
        solver_options=None,
        alpha=1.0,
        bias_correction="split-half",
        base=2,
        random_state=None,
        verbose=0,
    ):
        self._store_params(locals())

    def fit(self, X, y, sample_weight=None):
        """Discretise the modalities, build the joint table and solve for q.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Both modalities, split by ``modalities``. Strings and categories
            are allowed for ``"discrete"`` modalities.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,) or None
            Non-negative frequency weights (a weight of 2 counts a row twice);
            the table is their weighted histogram. The decomposition does not
            depend on their scale, but the smoothing (``alpha`` pseudo-counts),
            the rare-class warning and ``plugin_bias_`` read them as counts.
            To decompose a known distribution, use
            :func:`broja_decomposition`.

        Returns
        -------
        self : PIDCVX
        """
        return self._validated_fit(X, y, sample_weight)

    def _check_params(self):
        specs = self.discretizer
        if n_groups(self.modalities) > 2 and isinstance(specs, (tuple, list)):
            raise ValueError(
                "With three or more modalities, give one discretizer for all of "
                f"them; got a sequence of {len(specs)}."
            )
        if isinstance(specs, (tuple, list)) and len(specs) != 2:
            raise ValueError(
                f"discretizer must be one discretizer or a pair (one per "
                f"modality); got a {type(specs).__name__} of {len(specs)}."
            )

    def _fit(self, X1, X2, y_index, sample_weight):
        weights = np.ones(y_index.size) if sample_weight is None else sample_weight
        s1, s2 = self._fit_discretizers(X1, X2, weights)
        shape = (*map(len, (d.states_ for d in self.discretizers_)), self.classes_.size)
        self._check_size(shape)
        self.n_states_ = shape[:2]
        counts = self._counts(s1, s2, y_index, weights)
        self.p_ = counts / counts.sum()
        solution = solve_broja(self.p_, self.solver, self.solver_options, self.verbose)
        self.q_ = solution.q
        self.solver_ = solution.solver
        self.status_ = solution.status
        self.marginal_violation_ = solution.marginal_violation
        self.n_iter_ = solution.n_iter
        values = round_tolerance(pid_from_tables(self.p_, self.q_, self.base))
        # the fitting states, for sklearn_pid.inference's table resamples
        self._fit_states = (s1, s2, y_index, weights)
        if self.bias_correction == "split-half":
            self._correct_bias(values)
        self.plugin_bias_ = plugin_bias(counts) / np.log(self.base)
        if self.plugin_bias_ > max(
            0.1 * values["mi_joint"], 0.01 * np.log(2) / np.log(self.base)
        ):
            warn(
                f"The plug-in bias of I(X1,X2;Y) is about {self.plugin_bias_:.3g} "
                f"of the estimate {values['mi_joint']:.3g} ({shape[0]}x{shape[1]} "
                f"states, {X1.shape[0]} samples): much of the decomposition, "
                "synergy first, may be bias. Fewer states (n_bins, n_clusters) "
                "or more samples shrink it.",
                UserWarning,
            )
        self.posterior_ = smoothed_posterior(counts, self.alpha)
        self.pointwise_ = pointwise_table(self.p_, self.q_)
        self.pointwise_ /= np.log(self.base)
        return values

    def _counts(self, s1, s2, y_index, weights):
        """The (weighted) count table of states and labels."""
        shape = (*self.n_states_, self.classes_.size)
        return np.bincount(
            np.ravel_multi_index((s1, s2, y_index), shape),
            weights=weights,
            minlength=math.prod(shape),
        ).reshape(shape)

    def _table_values(self, s1, s2, y_index, weights=None):
        """Atoms and informations of the table of these states and labels.

        Returns
        -------
        ndarray of shape (7,)
            :data:`ATOMS` then :data:`MI_TERMS`, in ``base``.
        """
        counts = self._counts(s1, s2, y_index, weights)
        p = counts / counts.sum()
        q = solve_broja(p, self.solver, self.solver_options).q
        values = pid_from_tables(p, q, self.base)
        return np.array([values[k] for k in ATOMS + MI_TERMS])

    def _correct_bias(self, values):
        """Set ``decomposition_corrected_`` and ``bias_`` (split-half)."""
        s1, s2, y_index, weights = self._fit_states
        rng = check_random_state(self.random_state)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            halves = [
                self._table_values(s1[rows], s2[rows], y_index[rows], weights[rows])
                for _ in range(N_HALVINGS)
                for rows in np.array_split(rng.permutation(y_index.size), 2)
            ]
        self._report_half_fallbacks(caught, len(halves))
        plugin = np.array([values[k] for k in ATOMS + MI_TERMS])
        bias = pd.Series(
            np.mean(halves, axis=0) - plugin, index=list(ATOMS + MI_TERMS), name="bias"
        )
        self.bias_ = bias
        self.decomposition_corrected_ = pd.Series(
            plugin[:4] - bias.to_numpy()[:4], index=list(ATOMS), name="pid_corrected"
        )

    def _report_half_fallbacks(self, caught, n_halves):
        """One warning for the split-half solves' fallbacks (none if the full
        table's solve fell back: the user has been told); others pass on."""
        fallbacks = [
            w for w in caught if "solved the problem instead" in str(w.message)
        ]
        for w in caught:
            if w not in fallbacks:
                warn(str(w.message), w.category)
        if fallbacks and self.solver_ in ("newton", self.solver):
            warn(
                f"In {len(fallbacks)} of the {n_halves} split-half tables of the bias "
                f"correction: {fallbacks[0].message}",
                RuntimeWarning,
            )

    def _pointwise(self, X1, X2):
        s1, s2 = self._states(X1, X2)
        return self.pointwise_[s1, s2], self._log_proba(X1, X2, (s1, s2))

    def _log_proba(self, X1, X2, states=None):
        s1, s2 = self._states(X1, X2) if states is None else states
        with np.errstate(divide="ignore"):  # alpha=0 can give log(0) = -inf
            return np.log(self.posterior_[s1, s2])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # ------------------------------------------------------------------ helpers

    def _fit_discretizers(self, X1, X2, weights):
        specs = self.discretizer
        if not isinstance(specs, (tuple, list)):
            specs = (specs, specs)
        # rows, not total weight: "auto" does not depend on the weights' scale
        states = auto_states(weights.size, self.classes_.size)
        n_bins = None if self.n_bins == "auto" else self.n_bins
        n_clusters = states if self.n_clusters == "auto" else self.n_clusters
        # whole numbers stay discrete up to the sizes that "auto" stands for
        # (at least 10 and 20, as before it existed)
        max_discrete = max(
            n_bins or 10, 20 if self.n_clusters == "auto" else n_clusters
        )
        fitted = [
            self._fit_discretizer(
                (
                    spec,
                    n_bins or auto_bins(states, Xm.shape[1]),
                    n_clusters,
                    max_discrete,
                    self.pca_components,
                    self.bin_range,
                    self.random_state,
                ),
                Xm,
                weights,
            )
            for spec, Xm in zip(specs, (X1, X2))
        ]
        self.discretizers_ = tuple(d for d, _ in fitted)
        states = [s for _, s in fitted]
        for k, d in enumerate(self.discretizers_, start=1):
            if len(d.states_) < 2:
                raise ValueError(
                    f"Modality {k} has a single state after discretisation "
                    f"({d.method_}); it carries no information. Check the "
                    "modalities split or the discretizer."
                )
        self.discretization_ = {
            "modality_1": self.discretizers_[0].method_,
            "modality_2": self.discretizers_[1].method_,
        }
        return states

    def _fit_discretizer(self, args, Xm, weights):
        """A fitted ModalityDiscretizer(*args) and the states of ``Xm``; once
        per modality when three or more are decomposed (``shared_fit``)."""

        def fit():
            discretizer = ModalityDiscretizer(*args)
            return discretizer, discretizer.fit_transform(Xm, weights)

        return shared_fit(self, ("discretizer", args, Xm, weights), fit)

    def _check_size(self, shape):
        if math.prod(shape) > MAX_CELLS:
            raise ValueError(
                f"The joint table has {shape[0]} x {shape[1]} x {shape[2]} = "
                f"{math.prod(shape)} cells, more than {MAX_CELLS}. Reduce the number "
                "of states: lower n_bins (uniform/quantile) or n_clusters (kmeans), "
                "or use discretizer='kmeans' for modalities with many columns."
            )

    def _states(self, X1, X2):
        return self.discretizers_[0].transform(X1), self.discretizers_[1].transform(X2)
