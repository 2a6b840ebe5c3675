"""PIDCVX: exact dataset-level partial information decomposition."""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import ATOMS, DecompositionMixin
from ._broja import solve_broja
from ._discretize import METHODS, ModalityDiscretizer
from ._information import pid_from_tables
from ._validation import check_sample_weight, encode_labels, validate_modalities

#: Largest joint table |X1| x |X2| x |Y| that fit accepts.
MAX_CELLS = 4_000_000

#: Solver tolerance: atoms in (-TOLERANCE, 0) are rounded to 0.
NEGATIVE_TOLERANCE = 1e-7


class PIDCVX(DecompositionMixin, TransformerMixin, BaseEstimator):
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
    modalities : None, int or pair of selections, default=None
        Which columns of ``X`` form modality 1 and modality 2: ``None`` for
        exactly two columns, an int ``k`` for ``[0, k)`` / ``[k, n)``, or a pair
        of slices, index lists, boolean masks or column names.
    discretizer : str, estimator or pair, default="auto"
        How a modality's rows become states: ``"discrete"`` (values as they
        are), ``"uniform"`` / ``"quantile"`` (``n_bins`` equal-width or
        equal-mass bins per column), ``"kmeans"`` (standardise, optional PCA,
        ``n_clusters`` clusters), a scikit-learn clusterer with ``predict`` or
        a transformer whose ``transform`` gives discrete codes, or ``"auto"``:
        ``"discrete"`` for non-numeric modalities and for whole numbers with
        at most ``max(n_bins, n_clusters)`` states, else ``"quantile"`` for one
        column and ``"kmeans"`` for several. A pair gives one per modality.
        ``discretization_`` says what was used.
    n_bins : int, default=10
        Bins per column for ``"uniform"`` and ``"quantile"``.
    n_clusters : int, default=20
        Clusters per modality for ``"kmeans"``.
    pca_components : int or None, default=None
        PCA dimension before k-means.
    bin_range : (float, float) or None, default=None
        Range ``(low, high)`` of the ``"uniform"`` bins of every column (e.g.
        ``(-5, 5)``); ``None`` uses each column's range in the data. Values
        outside fall into the edge bins.
    solver : str, default="auto"
        ``"auto"``/``"newton"``: the package's dual interior-point solver
        (certified to a duality gap of ``1e-9`` nats), or the name of an
        installed CVXPY exponential-cone solver (``"CLARABEL"``, ``"ECOS"``,
        ``"SCS"``). ``"auto"`` moves to CLARABEL with tight tolerances where
        Newton does not certify the optimum in its step budget or the table is
        too large for its dense Hessian. Each fallback to the next installed
        solver warns; if all fail a ``SolverError`` holds their messages.
    solver_options : dict or None, default=None
        Options for the solver (``tol``, ``max_iter`` for ``"newton"``; keyword
        arguments of ``cvxpy.Problem.solve`` otherwise).
    alpha : float, default=1.0
        Pseudo-count of the smoothed posterior ``p(y | x1, x2)`` used by
        ``predict_proba``, ``transform`` and ``score``: each cell gets ``alpha``
        samples spread by a back-off ``p(y|x1) p(y|x2) / p(y)``.
    base : float, default=2
        Logarithm base of every reported number (2: bits, ``math.e``: nats).
    random_state : int, RandomState or None, default=None
        Seed of k-means and PCA.
    verbose : int, default=0
        ``>= 1`` prints the Newton solver's progress, one line per centring
        stage (large tables take minutes); ``> 1`` also the CVXPY solver log.

    Attributes
    ----------
    redundancy_, unique_1_, unique_2_, synergy_ : float
        The decomposition of ``I(X1, X2; Y)``, in ``base``.
    mi_1_, mi_2_, mi_joint_ : float
        ``I(X1;Y)``, ``I(X2;Y)``, ``I(X1,X2;Y)`` of the fitted table.
    decomposition_ : pandas.Series
        The four atoms, indexed ``redundancy, unique_1, unique_2, synergy``.
    classes_ : ndarray of shape (n_classes,)
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
    plugin_bias_ : float
        Rough estimate of the upward bias of the plug-in ``I(X1,X2;Y)``, in
        ``base`` (exact under independence, pessimistic when ``y`` is largely
        predictable from the states):
        ``(K_12 - 1)(K_y - 1) / (2 N)`` with ``K_12``, ``K_y`` the occupied
        ``(x1, x2)`` cells and classes and ``N`` the number of samples (the
        chi-square approximation under independence). A warning is
        raised when it exceeds both 10 % of ``mi_joint_`` and 0.01 bit (too
        many states for the sample size: reduce ``n_bins`` or ``n_clusters``).
        With ``sample_weight``, ``N`` is the total weight.
    modality_columns_ : tuple of ndarray
        Column indices of the two modalities.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

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
    Bertschinger, Rauh, Olbrich, Jost, Ay. "Quantifying unique information."
    Entropy 16 (2014). Liang et al. "Quantifying & modeling multimodal
    interactions: an information decomposition framework." NeurIPS 2023.

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
        "modalities": [
            None,
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
            tuple,
        ],
        "discretizer": [StrOptions(set(METHODS)), HasMethods(["fit"]), tuple, list],
        "n_bins": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "pca_components": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "bin_range": [None, tuple, list],
        "solver": [str],
        "solver_options": [None, dict],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "base": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        discretizer="auto",
        n_bins=10,
        n_clusters=20,
        pca_components=None,
        bin_range=None,
        solver="auto",
        solver_options=None,
        alpha=1.0,
        base=2,
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.discretizer = discretizer
        self.n_bins = n_bins
        self.n_clusters = n_clusters
        self.pca_components = pca_components
        self.bin_range = bin_range
        self.solver = solver
        self.solver_options = solver_options
        self.alpha = alpha
        self.base = base
        self.random_state = random_state
        self.verbose = verbose

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
        self._validate_params()
        if self.base == 1:
            raise ValueError("base must be different from 1.")
        X1, X2, y = validate_modalities(self, X, y, reset=True, dtype=None)
        weights = check_sample_weight(sample_weight, X1.shape[0])
        rows = weights > 0  # a zero weight is the same as leaving the row out
        X1, X2, y, weights = X1[rows], X2[rows], y[rows], weights[rows]
        self.classes_, y_index = encode_labels(y, sample_weight=weights)
        s1, s2 = self._fit_discretizers(X1, X2, weights)
        shape = (
            len(self.discretizers_[0].states_),
            len(self.discretizers_[1].states_),
            self.classes_.size,
        )
        self._check_size(shape)
        counts = np.bincount(
            np.ravel_multi_index((s1, s2, y_index), shape),
            weights=weights,
            minlength=math.prod(shape),
        ).reshape(shape)
        self.n_states_ = shape[:2]
        self.p_ = counts / counts.sum()
        solution = solve_broja(self.p_, self.solver, self.solver_options, self.verbose)
        self.q_ = solution.q
        self.solver_ = solution.solver
        self.status_ = solution.status
        self.marginal_violation_ = solution.marginal_violation
        self.n_iter_ = solution.n_iter
        values = pid_from_tables(self.p_, self.q_, self.base)
        self._set_decomposition(_round_tolerance(values))
        self.plugin_bias_ = _plugin_bias(counts, self.base)
        if self.plugin_bias_ > max(
            0.1 * self.mi_joint_, 0.01 * np.log(2) / np.log(self.base)
        ):
            warnings.warn(
                f"The plug-in bias of I(X1,X2;Y) is about {self.plugin_bias_:.3g} "
                f"(of {self.mi_joint_:.3g}): {shape[0]}x{shape[1]} states for "
                f"{X1.shape[0]} samples. Reduce n_bins or n_clusters.",
                UserWarning,
                stacklevel=2,
            )
        self._fit_posterior(counts)
        self._fit_pointwise()
        return self

    def transform(self, X):
        """Expected per-sample interactions under the fitted posterior.

        For each sample, ``sum_y p(y | x1, x2) * interactions(x, y)`` with the
        smoothed posterior of ``predict_proba``; ``y`` is not needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``.
        """
        s1, s2 = self._states(X)
        return self.expected_pointwise_[s1, s2]

    def interactions(self, X, y):
        """Label-conditioned per-sample interactions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.

        Returns
        -------
        pandas.DataFrame of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``;
            their mean over the fitting samples is ``decomposition_``.
        """
        check_is_fitted(self)
        X1, X2, y = validate_modalities(self, X, y, reset=False, dtype=None)
        _, y_index = encode_labels(y, self.classes_)
        s1 = self.discretizers_[0].transform(X1)
        s2 = self.discretizers_[1].transform(X2)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return self._atoms_frame(self.pointwise_[s1, s2, y_index], index=index)

    def predict_proba(self, X):
        """Smoothed table posterior ``p(y | x1-state, x2-state)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        s1, s2 = self._states(X)
        return self.posterior_[s1, s2]

    def predict(self, X):
        """Most probable class of each sample under ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Held-out variational lower bound on ``I(X1,X2;Y)``, in ``base``.

        The mean of ``log p(y | x1, x2) - log p(y)`` under the smoothed
        posterior and the fitted class prior; higher is better.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,) or None

        Returns
        -------
        float
        """
        check_is_fitted(self)
        proba = self.predict_proba(X)
        _, y_index = encode_labels(np.asarray(y), self.classes_)
        if y_index.shape[0] != proba.shape[0]:
            raise ValueError(
                f"y has {y_index.shape[0]} labels but X has {proba.shape[0]} samples."
            )
        prior = self.p_.sum(axis=(0, 1))
        rows = np.arange(y_index.size)
        with np.errstate(divide="ignore"):  # alpha=0 can give log(0) = -inf
            point = np.log(proba[rows, y_index]) - np.log(prior[y_index])
        weights = check_sample_weight(sample_weight, y_index.size)
        return float(np.average(point, weights=weights) / np.log(self.base))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # ------------------------------------------------------------------ helpers

    def _fit_discretizers(self, X1, X2, weights):
        specs = self.discretizer
        if not (isinstance(specs, (tuple, list)) and len(specs) == 2):
            specs = (specs, specs)
        self.discretizers_ = tuple(
            ModalityDiscretizer(
                spec,
                self.n_bins,
                self.n_clusters,
                self.pca_components,
                self.bin_range,
                self.random_state,
            )
            for spec in specs
        )
        states = [
            d.fit_transform(Xm, weights) for d, Xm in zip(self.discretizers_, (X1, X2))
        ]
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

    def _check_size(self, shape):
        if math.prod(shape) > MAX_CELLS:
            raise ValueError(
                f"The joint table has {shape[0]} x {shape[1]} x {shape[2]} = "
                f"{math.prod(shape)} cells, more than {MAX_CELLS}. Reduce the number "
                "of states: lower n_bins (uniform/quantile) or n_clusters (kmeans), "
                "or use discretizer='kmeans' for modalities with many columns."
            )

    def _states(self, X):
        check_is_fitted(self)
        X1, X2, _ = validate_modalities(self, X, reset=False, dtype=None)
        return self.discretizers_[0].transform(X1), self.discretizers_[1].transform(X2)

    def _fit_posterior(self, counts):
        """Smoothed posterior table, with a last row/column for unseen states."""
        prior = counts.sum(axis=(0, 1)) / counts.sum()
        post1 = _smoothed(counts.sum(axis=1), prior, self.alpha)
        post2 = _smoothed(counts.sum(axis=0), prior, self.alpha)
        backoff = post1[:, None, :] * post2[None, :, :] / prior
        total = backoff.sum(axis=2, keepdims=True)
        # states seen with disjoint labels (possible with alpha=0): use the prior
        backoff = np.where(total > 0, backoff / np.where(total > 0, total, 1), prior)
        padded = np.zeros((counts.shape[0] + 1, counts.shape[1] + 1, counts.shape[2]))
        padded[:-1, :-1] = counts
        n12 = padded.sum(axis=2, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            post = (padded + self.alpha * backoff) / (n12 + self.alpha)
        self.posterior_ = np.where(n12 > 0, post, backoff)

    def _fit_pointwise(self):
        """Per-(state, state, label) interactions, with zero rows for unseen states.

        ``pointwise_[s1, s2, y]`` holds the four atoms of ``interactions``;
        index ``-1`` (the padded last row/column) is an unseen state.
        ``expected_pointwise_[s1, s2]`` averages them under ``posterior_``.
        """
        p, q = self.p_, self.q_
        prior = p.sum(axis=(0, 1))
        p1, p2 = p.sum(axis=1), p.sum(axis=0)
        lq = _log_ratio(q, q.sum(axis=2, keepdims=True) * prior)
        i1 = _pad(_log_ratio(p1, p1.sum(axis=1, keepdims=True) * prior)[:, None], (0,))
        i2 = _pad(_log_ratio(p2, p2.sum(axis=1, keepdims=True) * prior)[None], (1,))
        i12 = _pad(_log_ratio(p, p.sum(axis=2, keepdims=True) * prior), (0, 1))
        a1 = _pad(_safe_div((q * lq).sum(axis=1), p1)[:, None], (0,))
        a2 = _pad(_safe_div((q * lq).sum(axis=0), p2)[None], (1,))
        # average the anchors that exist (both, for every fitted sample)
        m1 = _pad((p1 > 0)[:, None].astype(float), (0,))
        m2 = _pad((p2 > 0)[None].astype(float), (1,))
        iq = _safe_div(a1 * m1 + a2 * m2, np.broadcast_to(m1 + m2, i12.shape))
        atoms = [i1 + i2 - iq, iq - i2, iq - i1, i12 - iq]
        shape = i12.shape
        self.pointwise_ = np.stack([np.broadcast_to(a, shape) for a in atoms], axis=-1)
        self.pointwise_ /= np.log(self.base)
        self.expected_pointwise_ = np.einsum(
            "abk,abkj->abj", self.posterior_, self.pointwise_
        )


def broja_decomposition(p, *, base=2, solver="auto", solver_options=None):
    """Exact BROJA decomposition of a known joint distribution ``p[x1, x2, y]``.

    The table-level counterpart of :class:`PIDCVX` (which builds the table
    from samples), for distributions given exactly.

    Parameters
    ----------
    p : array-like of shape (n_1, n_2, n_y)
        Non-negative joint probabilities (or counts), normalised here.
    base : float, default=2
        Logarithm base of the result (2: bits).
    solver, solver_options
        As in :class:`PIDCVX`.

    Returns
    -------
    pandas.Series
        ``redundancy``, ``unique_1``, ``unique_2``, ``synergy``, ``mi_1``,
        ``mi_2``, ``mi_joint``, in ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_pid import broja_decomposition
    >>> p = np.zeros((2, 2, 2))
    >>> for a in (0, 1):
    ...     for b in (0, 1):
    ...         p[a, b, a & b] = 0.25
    >>> atoms = ["redundancy", "unique_1", "unique_2", "synergy"]
    >>> broja_decomposition(p)[atoms].round(4)
    redundancy    0.3113
    unique_1      0.0000
    unique_2      0.0000
    synergy       0.5000
    dtype: float64
    """
    p = np.asarray(p, dtype=float)
    if p.ndim != 3 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError(
            "p must be a 3-D array p[x1, x2, y] of finite non-negative numbers "
            "with a positive sum."
        )
    p = p / p.sum()
    solution = solve_broja(p, solver, solver_options)
    values = _round_tolerance(pid_from_tables(p, solution.q, base))
    return pd.Series(values, dtype=float)


def _pad(a, axes):
    """Append a zero slice at the end of each axis in ``axes`` (unseen states)."""
    width = [(0, 1 if ax in axes else 0) for ax in range(a.ndim)]
    return np.pad(a, width)


def _log_ratio(num, den):
    """``log(num / den)`` where ``num > 0``, else 0."""
    out = np.zeros(np.broadcast_shapes(np.shape(num), np.shape(den)))
    num = np.broadcast_to(num, out.shape)
    den = np.broadcast_to(den, out.shape)
    mask = num > 0
    out[mask] = np.log(num[mask] / den[mask])
    return out


def _safe_div(num, den):
    """``num / den`` where ``den > 0``, else 0."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _smoothed(counts, prior, alpha):
    """``(counts + alpha prior) / (n + alpha)`` per row, plus a prior row."""
    n = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = np.where(n > 0, (counts + alpha * prior) / (n + alpha), prior)
    return np.vstack([post, prior])


def _round_tolerance(values):
    """Atoms in (-NEGATIVE_TOLERANCE, 0) become 0; more negative ones warn."""
    out = dict(values)
    for name in ATOMS:
        v = out[name]
        if -NEGATIVE_TOLERANCE < v < 0:
            out[name] = 0.0
        elif v <= -NEGATIVE_TOLERANCE:
            warnings.warn(
                f"{name} = {v:.3g} is negative beyond the solver tolerance; this "
                "indicates a solver failure. Please report it.",
                RuntimeWarning,
                stacklevel=3,
            )
    return out


def _plugin_bias(counts, base):
    """Expected plug-in I(X1,X2;Y) under independence, in ``base``.

    ``2 N I`` (nats) is chi-square with ``(K_12 - 1)(K_y - 1)`` degrees of
    freedom when X and Y are independent, so the plug-in estimate is biased up
    by about ``(K_12 - 1)(K_y - 1) / (2 N)``; ``K`` counts occupied cells and
    ``N`` is the total (frequency) weight.
    """
    k_12 = np.count_nonzero(counts.sum(axis=2))
    k_y = np.count_nonzero(counts.sum(axis=(0, 1)))
    return (k_12 - 1) * (k_y - 1) / (2 * counts.sum()) / np.log(base)
