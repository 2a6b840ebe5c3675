"""LSMIEstimator: redundancy, uniqueness and synergy of every sample."""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import log_softmax, logsumexp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import ATOMS, LSMI_TERMS, DecompositionMixin
from ._information import lsmi_atoms
from ._posteriors import (
    POSTERIORS,
    check_classifiers,
    fit_posteriors,
    log_posteriors,
)
from ._validation import check_not_constant, encode_labels, validate_modalities
from .nn import KNIFEDensity, MLPPosterior
from .nn._knife import COVARIANCE_TYPES
from .nn._train import draw_seed, resolve_device, torch_seed

#: Rows per chunk in ``transform`` / ``interactions``: memory stays flat in n.
CHUNK_SIZE = 8192

#: Most kernels that ``n_kernels="auto"`` gives a KNIFE density.
MAX_AUTO_KERNELS = 32


class LSMIEstimator(DecompositionMixin, TransformerMixin, BaseEstimator):
    """Pointwise redundancy, uniqueness and synergy (LSMI, Yang et al. 2025).

    For a sample ``(x1, x2, y)``, with pointwise mutual informations from three
    classifiers, ``i_m = log p(y|x_m) - log p(y)`` and
    ``i_joint = log p(y|x1,x2) - log p(y)`` (``p(y)``: the class frequencies of
    the fitting labels), and pointwise entropies ``h_m = -log p(x_m)`` from a
    density estimator of each modality (a :class:`~sklearn_pid.nn.KNIFEDensity`
    by default):

    * ``redundancy r = min(h_1, h_2) - min(h_1 - i_1, h_2 - i_2)``, where
      ``h_m - i_m = -log p(x_m | y)``;
    * ``unique_m = i_m - r``;
    * ``synergy s = i_joint - r - unique_1 - unique_2``.

    So ``r + u_m = i_m`` and ``r + u_1 + u_2 + s = i_joint`` hold for every
    sample. ``h_m`` is a differential entropy in the units of ``x_m``: scaling
    a modality by ``c`` adds ``d_m log|c|`` to ``h_m`` (and can change which
    modality attains the minimum); nothing else changes. The numbers are only
    as good as the posteriors and densities: check ``score`` (the held-out
    bound on ``I(X1,X2;Y)``) and the densities' held-out likelihood.

    With ``cv`` (default 5), every model is fitted ``cv`` times on the other
    folds, and each fitting sample is evaluated only by the models that did
    not see it (cross-fitting): the values on the fitting data are honest
    held-out estimates, not the inflated in-sample ones. New samples are
    evaluated by the average of the ``cv`` fold models (posteriors and
    densities averaged as probabilities); a row of ``X`` equal to a fitting
    row gets that row's out-of-fold values, which is why
    ``fit_transform(X, y)`` equals ``fit(X, y).transform(X)``.

    Parameters
    ----------
    modalities : None, int or pair of selections, default=None
        Which columns of ``X`` form modality 1 and modality 2 (see
        :class:`~sklearn_pid.PIDCVX`).
    classifier_1, classifier_2, classifier_joint : classifier or None, default=None
        Posteriors ``p(y|x1)``, ``p(y|x2)``, ``p(y|x1,x2)``: any scikit-learn
        classifier with ``predict_proba`` (cloned and fitted on raw ``x1``,
        ``x2`` and ``[x1, x2]``), or None for an
        :class:`~sklearn_pid.nn.MLPPosterior` with the hyperparameters below.
    density_estimator : estimator or None, default=None
        Density of each modality: any estimator whose ``score_samples`` gives
        ``log p(x)`` in nats (e.g. ``sklearn.mixture.GaussianMixture``),
        cloned per modality, or None for a
        :class:`~sklearn_pid.nn.KNIFEDensity` with ``n_kernels`` kernels.
    n_kernels : int or "auto", default="auto"
        KNIFE kernels per modality; ``"auto"`` is ``max(n_classes,
        min(32, n_samples // 1000))``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="tied"
        Covariance structure of the KNIFE kernels (see
        :class:`~sklearn_pid.nn.KNIFEDensity`). ``"tied"`` (one full covariance
        shared by the kernels) has ``d(d+1)/2`` instead of ``n_kernels``
        times as many parameters as ``"full"``, which overfits in high
        dimension: on the 10-class toy model (``d = 10``, 1,600 samples,
        ``cv=None``) the entropy error was 0.29 nats with ``"tied"`` and 0.79
        with ``"full"``.
    hidden_sizes : tuple of int, default=(128,)
        Hidden layers of the default posteriors.
    max_epochs : int, default=200
        Epoch budget of each default posterior and density.
    lr : float, default=3e-3
        AdamW learning rate of the default models.
    batch_size : int, default=256
        Training batch size of the default models and prediction batch size.
    validation_fraction : float, default=0.2
        Held-out fraction of each training set for early stopping of the
        default models (cross-entropy for posteriors, negative log-likelihood
        for densities).
    patience : int, default=10
        Epochs without improvement before early stopping.
    cv : int, cross-validation splitter, iterable or None, default=5
        Cross-fitting folds (an int gives shuffled stratified folds); None fits
        once on all data and evaluates the fitting samples in-sample.
    n_jobs : int or None, default=None
        Folds fitted in parallel by joblib (``None``: 1, ``-1``: all cores).
        Each fold has its own seed, drawn before any fitting, so the numbers
        do not depend on ``n_jobs`` for the default networks (trained on one
        thread on the CPU). On a single GPU, keep 1.
    adjust : {"none", "shift"}, default="none"
        ``"shift"`` adds the constant ``shift_`` to every redundancy and
        synergy and subtracts it from every uniqueness, as the authors' code
        does for its dataset means: then ``redundancy_ = min(mi_1_, mi_2_)``,
        ``unique_m_ = mi_m_ - redundancy_`` and ``synergy_ = mi_joint_ -
        max(mi_1_, mi_2_)``, which no longer depend on the densities.
    base : float, default=2
        Logarithm base of every reported value (2: bits, ``math.e``: nats).
    device : str, default="auto"
        Torch device of the default models: ``"auto"`` is CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the splits, initialisations and batch orders.
    verbose : int, default=0
        ``>= 1`` shows a progress bar for each network.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the fitting labels: ``p(y)``.
    models_ : list of dict
        One dict per fold (one without ``cv``): ``classifier_1``,
        ``classifier_2``, ``classifier_joint``, ``density_1``, ``density_2``.
    redundancy_, unique_1_, unique_2_, synergy_ : float
        Means of the label-conditioned per-sample values on the fitting data
        (out-of-fold with ``cv``), in ``base``.
    mi_1_, mi_2_, mi_joint_ : float
        Means of ``i_1``, ``i_2``, ``i_joint``.
    decomposition_ : pandas.Series
        The four means, indexed ``redundancy, unique_1, unique_2, synergy``.
    shift_ : float
        ``min(mi_1_, mi_2_)`` minus the mean raw redundancy (applied only with
        ``adjust="shift"``).
    n_kernels_ : int
        Kernels of the default densities.
    device_ : str
    modality_columns_ : tuple of 2 ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    References
    ----------
    Yang, Wang, Hu. "Efficient quantification of multimodal interaction at
    sample level." ICML 2025. Pichler et al. "A differential entropy
    estimator for training neural networks." ICML 2022.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.mixture import GaussianMixture
    >>> from sklearn_pid import LSMIEstimator
    >>> from sklearn_pid.datasets import make_gaussian_modalities
    >>> X, y = make_gaussian_modalities(1000, rho=0.9, random_state=0)
    >>> est = LSMIEstimator(
    ...     modalities=2,
    ...     classifier_1=LogisticRegression(),
    ...     classifier_2=LogisticRegression(),
    ...     classifier_joint=LogisticRegression(),
    ...     density_estimator=GaussianMixture(2, random_state=0),
    ...     random_state=0,
    ... ).fit(X, y)
    >>> est.interactions(X[:3], y[:3]).shape
    (3, 4)
    >>> est.transform(X[:3]).shape
    (3, 4)
    """

    _parameter_constraints = {
        "modalities": [
            None,
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
            tuple,
        ],
        "classifier_1": [None, HasMethods(["fit", "predict_proba"])],
        "classifier_2": [None, HasMethods(["fit", "predict_proba"])],
        "classifier_joint": [None, HasMethods(["fit", "predict_proba"])],
        "density_estimator": [None, HasMethods(["fit", "score_samples"])],
        "n_kernels": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "hidden_sizes": [tuple, list],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": [None, "cv_object"],
        "n_jobs": [None, Interval(numbers.Integral, -1, None, closed="left")],
        "adjust": [StrOptions({"none", "shift"})],
        "base": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        classifier_1=None,
        classifier_2=None,
        classifier_joint=None,
        density_estimator=None,
        n_kernels="auto",
        covariance_type="tied",
        hidden_sizes=(128,),
        max_epochs=200,
        lr=3e-3,
        batch_size=256,
        validation_fraction=0.2,
        patience=10,
        cv=5,
        n_jobs=None,
        adjust="none",
        base=2,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.classifier_1 = classifier_1
        self.classifier_2 = classifier_2
        self.classifier_joint = classifier_joint
        self.density_estimator = density_estimator
        self.n_kernels = n_kernels
        self.covariance_type = covariance_type
        self.hidden_sizes = hidden_sizes
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.cv = cv
        self.n_jobs = n_jobs
        self.adjust = adjust
        self.base = base
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Fit the posteriors and densities (per fold with ``cv``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Both modalities, split by ``modalities``; numeric and finite.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : LSMIEstimator
        """
        self._validate_params()
        if self.base == 1:
            raise ValueError("base must be different from 1.")
        check_classifiers(self)
        X1, X2, y = validate_modalities(self, X, y, reset=True, dtype=np.float64)
        check_not_constant(X1, X2)
        self.classes_, y_index = encode_labels(y)
        n_classes = self.classes_.size
        self.class_prior_ = np.bincount(y_index, minlength=n_classes) / y_index.size
        self.device_ = resolve_device(self.device)
        self.n_kernels_ = (
            max(n_classes, min(MAX_AUTO_KERNELS, X1.shape[0] // 1000))
            if self.n_kernels == "auto"
            else self.n_kernels
        )
        # Columns constant on all the fitting data have no density: the
        # densities model the others, the same columns in every fold.
        self._density_support = tuple(np.ptp(X, axis=0) > 0 for X in (X1, X2))
        rng = check_random_state(self.random_state)
        self._fit_rows = None
        if self.cv is None:
            self.models_ = [self._fit_models(X1, X2, y_index, draw_seed(rng))]
            log_post, log_dens = self._predict_logs(X1, X2)
        else:
            log_post, log_dens = self._cross_fit(X1, X2, y_index, rng)
        self._warn_fold_constant_columns()
        terms = self._terms(log_post, log_dens, y_index)
        means = {k: float(np.mean(v)) for k, v in terms.items()}
        self.shift_ = min(means["i_1"], means["i_2"]) - means["redundancy"]
        if self.adjust == "shift":
            means = {k: float(np.mean(v)) for k, v in self._adjusted(terms).items()}
        means |= {
            "mi_1": means["i_1"],
            "mi_2": means["i_2"],
            "mi_joint": means["i_joint"],
        }
        self._set_decomposition(means)
        return self

    def interactions(self, X, y, return_terms=False):
        """Label-conditioned per-sample redundancy, uniqueness and synergy.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.
        return_terms : bool, default=False
            Also return the columns ``h_1, h_2, i_1, i_2, i_joint``.

        Returns
        -------
        DataFrame of shape (n_samples, 4) or (n_samples, 9)
            In ``base``; the index of ``X`` when it is a DataFrame.
        """
        check_is_fitted(self)
        X1, X2, y = validate_modalities(self, X, y, reset=False, dtype=np.float64)
        _, y_index = encode_labels(y, self.classes_)
        columns = list(ATOMS) + (list(LSMI_TERMS) if return_terms else [])
        parts = []
        for rows in _chunks(X1.shape[0]):
            log_post, log_dens = self._predict_logs(X1[rows], X2[rows])
            terms = self._adjusted(self._terms(log_post, log_dens, y_index[rows]))
            parts.append(pd.DataFrame({k: terms[k] for k in columns}))
        frame = (
            pd.concat(parts, ignore_index=True)
            if parts
            else pd.DataFrame(columns=columns, dtype=float)
        )
        if isinstance(X, pd.DataFrame):
            frame.index = X.index
        return frame

    def transform(self, X):
        """Expected per-sample interactions under the fitted ``p(y | x1, x2)``.

        ``sum_y p(y | x1, x2) * interactions(x, y)``: no label needed, so it
        runs inside a Pipeline at predict time. Computed in chunks of
        :data:`CHUNK_SIZE` rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, 4)
            Columns ``redundancy, unique_1, unique_2, synergy`` in ``base``.
        """
        check_is_fitted(self)
        X1, X2, _ = validate_modalities(self, X, reset=False, dtype=np.float64)
        out = np.empty((X1.shape[0], len(ATOMS)))
        for rows in _chunks(X1.shape[0]):
            log_post, log_dens = self._predict_logs(X1[rows], X2[rows])
            terms = self._adjusted(self._terms(log_post, log_dens))
            weights = np.exp(log_post[2])  # p(y | x1, x2), (chunk, n_classes)
            with np.errstate(invalid="ignore"):  # classes of probability 0
                out[rows] = np.column_stack(
                    [np.where(weights > 0, weights * terms[a], 0).sum(1) for a in ATOMS]
                )
        return out

    def predict_proba(self, X):
        """``p(y | x1, x2)`` of the joint posterior.

        With ``cv``: the fold-average model, and for rows equal to a fitting
        row its out-of-fold posterior (the one ``transform`` uses), so that
        ``score`` on the fitting data is a held-out value too.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X1, X2, _ = validate_modalities(self, X, reset=False, dtype=np.float64)
        out = np.empty((X1.shape[0], self.classes_.size))
        for rows in _chunks(X1.shape[0]):
            log_post, _ = self._predict_logs(X1[rows], X2[rows], densities=False)
            out[rows] = np.exp(log_post[2])
        return out

    def predict(self, X):
        """The most probable class under the joint posterior."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y):
        """Held-out variational lower bound on ``I(X1,X2;Y)``, in ``base``.

        The mean of ``log p(y | x1, x2) - log p(y)``; higher is better, so it
        drives ``GridSearchCV`` towards better-calibrated joint posteriors.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        float
        """
        proba = self.predict_proba(X)
        _, y_index = encode_labels(np.asarray(y), self.classes_)
        if y_index.shape[0] != proba.shape[0]:
            raise ValueError(
                f"y has {y_index.shape[0]} labels but X has {proba.shape[0]} samples."
            )
        with np.errstate(divide="ignore"):
            point = np.log(proba[np.arange(y_index.size), y_index])
        point -= np.log(self.class_prior_[y_index])
        return float(np.mean(point) / np.log(self.base))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.non_deterministic = self.random_state is None
        return tags

    # -- fitting -------------------------------------------------------------

    def _fit_models(self, X1, X2, y_index, seed):
        """Fit the three posteriors and two densities on one training set."""
        rng = np.random.RandomState(seed)
        default = MLPPosterior(hidden_sizes=self.hidden_sizes, **self._training())
        posteriors = fit_posteriors(self, default, X1, X2, y_index, rng)
        models = dict(zip(POSTERIORS, posteriors))
        for name, X, support in zip(
            ("density_1", "density_2"), (X1, X2), self._density_support
        ):
            models[name] = self._fit_density(X[:, support], draw_seed(rng))
        return models

    def _training(self):
        """The flat training parameters shared by the default networks."""
        return {
            "max_epochs": self.max_epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "validation_fraction": self.validation_fraction,
            "patience": self.patience,
            "device": self.device_,
            "verbose": self.verbose,
        }

    def _fit_density(self, X, seed):
        if self.density_estimator is None:
            density = KNIFEDensity(
                n_kernels=self.n_kernels_,
                covariance_type=self.covariance_type,
                random_state=seed,
                **self._training(),
            )
        else:
            density = clone(self.density_estimator)
        with torch_seed(seed):
            return density.fit(X)

    def _cross_fit(self, X1, X2, y_index, rng):
        """Fold models and the out-of-fold values of every fitting sample."""
        n_classes = self.classes_.size
        folds = self._folds(y_index, rng)
        seeds = [draw_seed(rng) for _ in folds]  # same numbers for any n_jobs
        self.models_ = Parallel(n_jobs=self.n_jobs)(
            delayed(self._fit_models)(X1[train], X2[train], y_index[train], seed)
            for (train, _), seed in zip(folds, seeds)
        )
        log_post = np.zeros((3, y_index.size, n_classes))
        log_dens = np.zeros((2, y_index.size))
        log_prior = np.log(self.class_prior_)
        for models, (train, test) in zip(self.models_, folds):
            post, log_dens[:, test] = self._model_logs([models], X1[test], X2[test])
            # A fold's posteriors carry its own class frequencies: move them to
            # the prior of all the fitting data (Bayes' rule), renormalised.
            fold_prior = np.bincount(y_index[train], minlength=n_classes)
            log_post[:, test] = log_softmax(
                post - np.log(fold_prior / train.size) + log_prior, axis=2
            )
        hashes = _row_hashes(X1, X2)
        self._fit_rows, self._fit_log_post, self._fit_log_dens = _group_rows(
            hashes, log_post, log_dens
        )
        codes = self._fit_rows.get_indexer(hashes)
        return self._fit_log_post[:, codes], self._fit_log_dens[:, codes]

    def _folds(self, y_index, rng):
        """The cross-fitting folds, checked before anything is fitted."""
        if isinstance(self.cv, numbers.Integral):
            smallest = np.bincount(y_index).min()
            if smallest < self.cv:
                raise ValueError(
                    f"cv={self.cv} needs at least {self.cv} samples of every class; "
                    f"the smallest class has {smallest}. Lower cv or use cv=None."
                )
            splitter = StratifiedKFold(
                self.cv, shuffle=True, random_state=draw_seed(rng)
            )
        else:
            splitter = check_cv(self.cv, y_index, classifier=True)
        folds = list(splitter.split(np.zeros((y_index.size, 1)), y_index))
        times_tested = np.bincount(
            np.concatenate([test for _, test in folds]), minlength=y_index.size
        )
        if not np.all(times_tested == 1):
            raise ValueError(
                f"cv={self.cv!r} must put every sample in exactly one test fold "
                f"(a partition); here {int(np.sum(times_tested != 1))} samples "
                "are tested zero or several times."
            )
        for train, _ in folds:
            if np.unique(y_index[train]).size < self.classes_.size:
                raise ValueError(
                    f"A training fold of cv={self.cv!r} lacks a class: every fold "
                    "model needs every class. Use stratified folds."
                )
        return folds

    def _warn_fold_constant_columns(self):
        """Warn when a fold's density had to drop a column (rare values)."""
        for m, support in enumerate(self._density_support, start=1):
            dropped = [
                int(np.sum(~models[f"density_{m}"].support_))
                for models in self.models_
                if hasattr(models[f"density_{m}"], "support_")
            ]
            if any(dropped):
                warnings.warn(
                    f"Modality {m}: {max(dropped)} of its {int(support.sum())} "
                    "columns are constant in some training fold (rare values, "
                    "e.g. sparse pixels), so the fold densities model different "
                    "columns and h_{m} is unreliable. Drop such columns, lower "
                    "cv, or treat h and the redundancy with care.",
                    UserWarning,
                    stacklevel=3,
                )

    # -- evaluation ----------------------------------------------------------

    def _predict_logs(self, X1, X2, densities=True):
        """Log-posteriors ``(3, n, K)`` and log-densities ``(2, n)`` of samples.

        Rows equal to a fitting row (under ``cv``) get that row's out-of-fold
        values; the others the fold-average models. ``densities=False``
        skips the densities (their array is then all zeros).
        """
        log_post = np.zeros((3, X1.shape[0], self.classes_.size))
        log_dens = np.zeros((2, X1.shape[0]))
        new = np.ones(X1.shape[0], dtype=bool)
        if self._fit_rows is not None and X1.shape[0]:
            codes = self._fit_rows.get_indexer(_row_hashes(X1, X2))
            new = codes < 0
            log_post[:, ~new] = self._fit_log_post[:, codes[~new]]
            log_dens[:, ~new] = self._fit_log_dens[:, codes[~new]]
        if new.any():
            log_post[:, new], dens = self._model_logs(
                self.models_, X1[new], X2[new], densities
            )
            if densities:
                log_dens[:, new] = dens
        return log_post, log_dens

    def _model_logs(self, models, X1, X2, densities=True):
        """Log fold-averaged posteriors ``(3, n, K)`` and densities ``(2, n)``.

        The fold models' probabilities and densities are averaged, in log
        space so that confident posteriors keep their tails.
        """
        n_classes = self.classes_.size
        log_post = logsumexp(
            [
                log_posteriors([m[k] for k in POSTERIORS], X1, X2, n_classes)
                for m in models
            ],
            axis=0,
        ) - math.log(len(models))
        if not densities:
            return log_post, None
        log_dens = np.stack(
            [
                logsumexp(
                    [m[f"density_{k}"].score_samples(X[:, support]) for m in models],
                    axis=0,
                )
                - math.log(len(models))
                for k, X, support in zip((1, 2), (X1, X2), self._density_support)
            ]
        )
        return log_post, log_dens

    def _terms(self, log_post, log_dens, y_index=None):
        """Per-sample atoms and terms in ``base``.

        Parameters
        ----------
        log_post : ndarray of shape (3, n, n_classes)
        log_dens : ndarray of shape (2, n)
        y_index : ndarray of int of shape (n,) or None
            The labels; None evaluates every class.

        Returns
        -------
        dict of ndarray
            :data:`ATOMS` and :data:`LSMI_TERMS`, each of shape ``(n,)``, or
            ``(n, n_classes)`` when ``y_index`` is None.
        """
        i = log_post - np.log(self.class_prior_)
        h = -log_dens[:, :, None]
        if y_index is not None:
            i = i[:, np.arange(y_index.size), y_index]
            h = h[:, :, 0]
        atoms = lsmi_atoms(h[0], h[1], i[0], i[1], i[2])
        scale = 1 / np.log(self.base)
        values = dict(zip(ATOMS, atoms))
        values |= dict(zip(LSMI_TERMS, (h[0], h[1], i[0], i[1], i[2])))
        return {
            k: np.broadcast_to(v, atoms[0].shape) * scale for k, v in values.items()
        }

    def _adjusted(self, terms):
        """Apply ``shift_`` when ``adjust="shift"``."""
        if self.adjust != "shift":
            return terms
        out = dict(terms)
        for name, sign in zip(ATOMS, (1, -1, -1, 1)):
            out[name] = terms[name] + sign * self.shift_
        return out


def _row_hashes(X1, X2):
    """One 64-bit hash per sample of two modalities (equal rows, equal hashes)."""
    frame = pd.DataFrame(np.hstack([X1, X2]))
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _group_rows(hashes, log_post, log_dens):
    """Average the out-of-fold values of identical fitting rows (log space).

    Returns
    -------
    rows : pandas.Index of the distinct row hashes
    log_post : ndarray of shape (3, n_distinct, n_classes)
    log_dens : ndarray of shape (2, n_distinct)
    """
    codes, uniques = pd.factorize(hashes)
    log_counts = np.log(np.bincount(codes))
    grouped_post = np.full((3, uniques.size, log_post.shape[2]), -np.inf)
    np.logaddexp.at(grouped_post, (slice(None), codes), log_post)
    grouped_dens = np.full((2, uniques.size), -np.inf)
    np.logaddexp.at(grouped_dens, (slice(None), codes), log_dens)
    return (
        pd.Index(uniques),
        grouped_post - log_counts[:, None],
        grouped_dens - log_counts,
    )


def _chunks(n_samples):
    """Slices of at most :data:`CHUNK_SIZE` rows covering ``range(n_samples)``."""
    return [slice(s, s + CHUNK_SIZE) for s in range(0, n_samples, CHUNK_SIZE)]
