"""LSMIEstimator: redundancy, uniqueness and synergy of every sample."""

import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from . import _groups
from ._base import ATOMS, COMMON_CONSTRAINTS, LSMI_TERMS, MI_TERMS, InformationEstimator
from ._crossfit import (
    OutOfFold,
    fit_temperature,
    log_mean,
    make_folds,
    move_to_prior,
    temper,
)
from ._information import lsmi_atoms
from ._posteriors import (
    POSTERIOR_CONSTRAINTS,
    POSTERIORS,
    check_classifiers,
    fit_posteriors,
    log_posteriors,
)
from ._validation import check_hidden_sizes, warn
from .nn._common import COVARIANCE_TYPES, draw_seed, progress_label

#: Columns of ``interactions(..., return_terms=True)``.
COLUMNS = ATOMS + LSMI_TERMS

#: Most kernels that ``n_kernels="auto"`` gives a KNIFE density.
MAX_AUTO_KERNELS = 32


class LSMIEstimator(InformationEstimator):
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
    $modalities
    $posteriors
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
    classifier_hidden_sizes : tuple of int, default=(128,)
        Hidden layers of the default posteriors
        (:class:`~sklearn_pid.nn.MLPPosterior`). The default posteriors of a
        training set are trained together, as one stacked network on one
        validation split and batch order, each stopped and restored on its
        own validation loss.
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
        Folds fitted in parallel by joblib (``None``: 1, ``-1``: all cores),
        in worker processes with ``cpu_count // n_jobs`` BLAS and OpenMP
        threads each. Each fold has its own seed, drawn before any fitting,
        and the default networks (and their EM initialisation) run on one
        thread on the CPU, so the numbers do not depend on ``n_jobs``. On a
        single GPU, keep 1.
    calibration : {"temperature", "none"}, default="temperature"
        With ``cv``: each of the three out-of-fold posteriors is tempered,
        ``p_t(y|x) ∝ p(y|x)^t p(y)^(1-t)``, with the exponent ``t`` in
        ``[0, 4]`` that maximises its out-of-fold log-likelihood
        (``temperatures_``). Held-out posteriors of networks that overfit
        are overconfident, so the held-out informations come out below the
        truth (on labels that carry no information, about -0.02 to -0.05
        bits on 569 samples); the tempered ones are a tighter bound and
        ``t = 0`` where the posterior carries nothing that generalises
        (then every ``i`` is 0). One parameter per posterior fitted on ``n``
        samples adds about ``1 / (2 n)`` nats. New data gets the same
        exponents. ``"none"`` keeps the raw posteriors (as the research code).
    adjust : {"none", "shift"}, default="none"
        ``"shift"`` adds the constant ``shift_`` to every redundancy and
        synergy and subtracts it from every uniqueness, as the authors' code
        does for its dataset means: then ``redundancy_ = min(mi_1_, mi_2_)``,
        ``unique_m_ = mi_m_ - redundancy_`` and ``synergy_ = mi_joint_ -
        max(mi_1_, mi_2_)``, which no longer depend on the densities.
    $base
    $device
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the splits, initialisations and batch orders.
    $verbose
    hidden_sizes : tuple of int, default="deprecated"
        Deprecated name of ``classifier_hidden_sizes`` (FutureWarning).

    Attributes
    ----------
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
    temperatures_ : ndarray of shape (3,)
        The exponents of ``calibration`` for ``p(y|x1)``, ``p(y|x2)``,
        ``p(y|x1,x2)`` (ones without ``cv`` or with ``"none"``).
    shift_ : float
        ``min(mi_1_, mi_2_)`` minus the mean raw redundancy (applied only with
        ``adjust="shift"``).
    n_kernels_ : int
        Kernels of the default densities.
    device_ : str
    $input_attributes

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
        **COMMON_CONSTRAINTS,
        **POSTERIOR_CONSTRAINTS,
        "density_estimator": [None, HasMethods(["fit", "score_samples"])],
        "n_kernels": [
            StrOptions({"auto"}),
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "classifier_hidden_sizes": [tuple, list],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": [None, "cv_object"],
        "n_jobs": [None, Interval(numbers.Integral, -1, None, closed="left")],
        "calibration": [StrOptions({"temperature", "none"})],
        "adjust": [StrOptions({"none", "shift"})],
        "hidden_sizes": [StrOptions({"deprecated"}), tuple, list],
    }
    _extra_terms = LSMI_TERMS
    _renamed_params = {"hidden_sizes": "classifier_hidden_sizes"}

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
        classifier_hidden_sizes=(128,),
        max_epochs=200,
        lr=3e-3,
        batch_size=256,
        validation_fraction=0.2,
        patience=10,
        cv=5,
        n_jobs=None,
        calibration="temperature",
        adjust="none",
        base=2,
        device="auto",
        random_state=None,
        verbose=0,
        hidden_sizes="deprecated",
    ):
        self._store_params(locals())

    def _check_params(self):
        check_classifiers(self)
        sizes = self._param("classifier_hidden_sizes")
        check_hidden_sizes("classifier_hidden_sizes", sizes)

    def _fit(self, X1, X2, y_index, sample_weight):
        from .nn._train import resolve_device  # torch: imported at fit only

        n_classes = self.classes_.size
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
        self._out_of_fold = None
        self.temperatures_ = np.ones(len(POSTERIORS))
        if self.cv is None:
            self.models_ = [
                self._fit_models(X1, X2, y_index, draw_seed(rng), type(self).__name__)
            ]
            log_post, log_dens = self._predict_logs(X1, X2)
        else:
            log_post, log_dens = self._cross_fit(X1, X2, y_index, rng)
            self._fitted_logs = (log_post, log_dens, self._fitted_logs[2])
            if self.calibration == "temperature":
                self.temperatures_ = _temperatures(
                    log_post, y_index, np.log(self.class_prior_)
                )
                log_post = temper(
                    log_post, self.temperatures_, np.log(self.class_prior_)
                )
        self._warn_fold_constant_columns()
        means = self._means(self._terms(log_post, log_dens, y_index))
        self.shift_ = min(means["i_1"], means["i_2"]) - means["redundancy"]
        if self.adjust == "shift":
            means = self._means(
                self._adjusted(self._terms(log_post, log_dens, y_index))
            )
        return means | dict(zip(MI_TERMS, (means[k] for k in LSMI_TERMS[2:])))

    @staticmethod
    def _means(terms):
        return {k: float(np.mean(terms[:, j])) for j, k in enumerate(COLUMNS)}

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
            In ``base``; the index of ``X`` when it is a DataFrame. With
            three or more modalities, these columns for every pair ``(a, b)``,
            named ``"redundancy[a,b]"``...
        """
        if _groups.is_grouped(self):
            return _groups.grouped_interactions(self, X, y, return_terms=return_terms)
        return self._interactions(X, y, COLUMNS if return_terms else ATOMS)

    def _pointwise(self, X1, X2):
        log_post, log_dens = self._predict_logs(X1, X2)
        return self._adjusted(self._terms(log_post, log_dens)), log_post[2]

    def _log_proba(self, X1, X2):
        return self._predict_logs(X1, X2, densities=False)[0][2]

    def _out_of_fold_statistic(self, X):
        """The dataset values as a function of fitting rows and their labels.

        Used by :mod:`sklearn_pid.inference` to bootstrap rows and permute
        labels without refitting any model: the out-of-fold posteriors and
        densities stay, the temperatures (``calibration``) are fitted again
        on each resample, as ``fit`` does on the data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The fitting data, in the order of the fit (unused here: the
            out-of-fold values are stored).

        Returns
        -------
        statistic : callable or None
            ``statistic(rows, labels)`` -> ndarray of shape (7,): the atoms
            then ``mi_1, mi_2, mi_joint`` (in ``base``) of the fitting rows
            ``rows`` with the class indices ``labels``; None with
            ``cv=None``.
        folds : ndarray of int of shape (n_samples,) or None
            The test fold of each fitting sample.
        """
        if self._out_of_fold is None:
            return None, None
        log_post, log_dens, folds = self._fitted_logs
        return _Statistic(self, log_post, log_dens), folds

    # -- fitting -------------------------------------------------------------

    def _fit_models(self, X1, X2, y_index, seed, label):
        """Fit the three posteriors and two densities on one training set.

        ``label`` names the training set in the progress bars.
        """
        from .nn import MLPPosterior

        rng = np.random.RandomState(seed)
        default = MLPPosterior(
            hidden_sizes=self._param("classifier_hidden_sizes"), **self._training()
        )
        posteriors = fit_posteriors(
            self, default, X1, X2, y_index, rng, label, stack=True
        )
        models = dict(zip(POSTERIORS, posteriors))
        for m, X, support in zip((1, 2), (X1, X2), self._density_support):
            if np.all(X[:, support] == X[:1, support]):
                raise ValueError(
                    f"Modality {m} is constant on the training rows of {label} "
                    "(its other values all fell in the held-out rows): there is no "
                    "density to fit. Fewer folds (cv), cv=None, or dropping its "
                    "rare columns avoids it."
                )
            seed = draw_seed(rng)  # drawn in any case: same seeds with 3+ modalities
            with progress_label(f"{label} density p(x{m})"):
                # once per modality and training set with three or more
                models[f"density_{m}"] = _groups.shared_fit(
                    self,
                    ("density", self.n_kernels_, self.density_estimator, X[:, support]),
                    lambda X=X[:, support], seed=seed: self._fit_density(X, seed),
                )
        return models

    def _training(self):
        """The flat training parameters shared by the default networks."""
        names = ("max_epochs", "lr", "batch_size", "validation_fraction", "patience")
        params = {name: getattr(self, name) for name in names}
        return params | {"device": self.device_, "verbose": self.verbose}

    def _fit_density(self, X, seed):
        from .nn import KNIFEDensity
        from .nn._train import torch_seed

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
        folds = make_folds(self.cv, y_index, self.classes_.size, rng)
        seeds = [draw_seed(rng) for _ in folds]  # same numbers for any n_jobs
        self.models_ = Parallel(n_jobs=self.n_jobs)(
            delayed(self._fit_models)(
                X1[train],
                X2[train],
                y_index[train],
                seed,
                f"{type(self).__name__} fold {k}/{len(folds)}",
            )
            for k, ((train, _), seed) in enumerate(zip(folds, seeds), start=1)
        )
        log_post = np.zeros((3, y_index.size, self.classes_.size))
        log_dens = np.zeros((2, y_index.size))
        for models, (train, test) in zip(self.models_, folds):
            post, log_dens[:, test] = self._model_logs([models], X1[test], X2[test])
            # A fold's posteriors carry its own class frequencies: move them to
            # the prior of all the fitting data.
            log_post[:, test] = move_to_prior(
                post, y_index[train], np.log(self.class_prior_)
            )
        self._out_of_fold = OutOfFold(X1, X2, log_post, log_dens)
        log_post, log_dens = self._predict_logs(X1, X2)  # not tempered yet
        test_fold = np.empty(y_index.size, dtype=np.int64)
        for k, (_, test) in enumerate(folds):
            test_fold[test] = k
        self._fitted_logs = log_post, log_dens, test_fold
        return log_post, log_dens

    def _warn_fold_constant_columns(self):
        """Warn when a fold's density had to drop a column (rare values)."""
        for m, support in enumerate(self._density_support, start=1):
            dropped = [
                int(np.sum(~models[f"density_{m}"].support_))
                for models in self.models_
                if hasattr(models[f"density_{m}"], "support_")
            ]
            if any(dropped):
                warn(
                    f"Modality {m}: {max(dropped)} of its {support.size} columns "
                    "are constant in some training fold (rare values, e.g. "
                    "sparse pixels), so the fold densities model different "
                    f"columns and h_{m} is unreliable. Drop such columns, lower "
                    "cv, or treat h and the redundancy with care.",
                    UserWarning,
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
        codes = np.full(X1.shape[0], -1)
        if self._out_of_fold is not None:
            codes = self._out_of_fold.lookup(X1, X2)
            known = codes >= 0
            log_post[:, known] = self._out_of_fold.log_post[:, codes[known]]
            log_dens[:, known] = self._out_of_fold.log_dens[:, codes[known]]
        new = codes < 0
        if new.any():
            log_post[:, new], dens = self._model_logs(
                self.models_, X1[new], X2[new], densities
            )
            if densities:
                log_dens[:, new] = dens
        if np.any(self.temperatures_ != 1):
            log_post = temper(log_post, self.temperatures_, np.log(self.class_prior_))
        return log_post, log_dens

    def _model_logs(self, models, X1, X2, densities=True):
        """Log fold-averaged posteriors ``(3, n, K)`` and densities ``(2, n)``.

        The fold models' probabilities and densities are averaged, in log
        space so that confident posteriors keep their tails.
        """
        n_classes = self.classes_.size
        log_post = log_mean(
            [
                log_posteriors([m[k] for k in POSTERIORS], X1, X2, n_classes)
                for m in models
            ]
        )
        if not densities:
            return log_post, None
        log_dens = np.stack(
            [
                log_mean(
                    [m[f"density_{k}"].score_samples(X[:, support]) for m in models]
                )
                for k, X, support in zip((1, 2), (X1, X2), self._density_support)
            ]
        )
        return log_post, log_dens

    def _terms(self, log_post, log_dens, y_index=None):
        """Per-sample atoms and terms in ``base`` (see :func:`_terms`)."""
        return _terms(log_post, log_dens, np.log(self.class_prior_), self.base, y_index)

    def _adjusted(self, terms):
        """Apply ``shift_`` to the atoms when ``adjust="shift"``."""
        if self.adjust != "shift":
            return terms
        out = terms.copy()
        out[..., : len(ATOMS)] += np.array([1, -1, -1, 1]) * self.shift_
        return out


def _terms(log_post, log_dens, log_prior, base, y_index=None):
    """Per-sample atoms and terms in ``base``.

    Parameters
    ----------
    log_post : ndarray of shape (3, n, n_classes)
    log_dens : ndarray of shape (2, n)
    log_prior : ndarray of shape (n_classes,)
    base : float
    y_index : ndarray of int of shape (n,) or None
        The labels; None evaluates every class.

    Returns
    -------
    ndarray of shape (n, 9) or (n, n_classes, 9)
        :data:`ATOMS` then :data:`LSMI_TERMS` along the last axis.
    """
    i = log_post - log_prior
    h = -log_dens[:, :, None]
    if y_index is not None:
        i = i[:, np.arange(y_index.size), y_index]
        h = h[:, :, 0]
    atoms = lsmi_atoms(h[0], h[1], i[0], i[1], i[2])
    values = [*atoms, h[0], h[1], i[0], i[1], i[2]]
    scale = 1 / np.log(base)
    return np.stack([np.broadcast_to(v, atoms[0].shape) * scale for v in values], -1)


def _temperatures(log_post, y_index, log_prior):
    """The calibrating exponent of each of the three out-of-fold posteriors."""
    return np.array([fit_temperature(lp, y_index, log_prior) for lp in log_post])


class _Statistic:
    """``LSMIEstimator``'s dataset values from its out-of-fold logs (picklable:
    it holds arrays, not the fitted models)."""

    def __init__(self, estimator, log_post, log_dens):
        self.log_post = log_post
        self.log_dens = log_dens
        self.log_prior = np.log(estimator.class_prior_)
        self.calibrate = estimator.calibration == "temperature"
        self.adjust = estimator.adjust == "shift"
        self.base = estimator.base

    def __call__(self, rows, labels):
        log_post = self.log_post[:, rows]
        if self.calibrate:
            exponents = _temperatures(log_post, labels, self.log_prior)
            log_post = temper(log_post, exponents, self.log_prior)
        terms = _terms(
            log_post, self.log_dens[:, rows], self.log_prior, self.base, labels
        )
        means = terms.mean(axis=0)
        if self.adjust:
            shift = min(means[6], means[7]) - means[0]
            means[:4] += np.array([1, -1, -1, 1]) * shift
        return means[[0, 1, 2, 3, 6, 7, 8]]
