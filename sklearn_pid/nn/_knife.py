"""KNIFE: a mixture of Gaussian kernels as a density estimator, trained by skorch.

Pichler et al., "A differential entropy estimator for training neural networks"
(ICML 2022). ``-log p(x)`` of the fitted density is the pointwise entropy used by
:class:`~sklearn_pid.LSMIEstimator`.
"""

import math
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet
from threadpoolctl import threadpool_limits

from .._standardize import power_of_two_scale
from ._common import COVARIANCE_TYPES, draw_seed
from ._train import batched_forward, fit_early_stopped, resolve_device

#: Smallest per-dimension kernel width at initialisation (standardised units).
MIN_INIT_STD = 1e-2

#: EM iterations (at most) of the Gaussian mixture that initialises the kernels.
EM_ITERATIONS = 100

#: Rows (at most, drawn at random) that the initial EM fit uses.
EM_MAX_SAMPLES = 10_000


class KNIFE(torch.nn.Module):
    """Mixture of Gaussian kernels; ``forward`` returns ``log p(x)`` in nats.

    Kernel ``m`` has mean ``mu_m`` and precision ``L_m^T L_m`` with
    ``L_m = diag(exp(s_m)) + strictly_lower(T_m)``, so every parameter value is
    a valid density (no clamping) and ``log |det L_m| = sum(s_m)``. The shapes
    of the initial values choose what kernels share, as scikit-learn's
    ``GaussianMixture(covariance_type=...)``: ``"full"`` (own ``s_m``, ``T_m``),
    ``"tied"`` (one ``s``, one ``T``), ``"diag"`` (own ``s_m``, no ``T``),
    ``"spherical"`` (one scale per kernel, no ``T``).

    Parameters
    ----------
    means : array-like of shape (n_kernels, n_features)
        Initial kernel means.
    log_precision : array-like of shape (n_kernels or 1, n_features or 1)
        Initial ``s_m``: minus the log of the kernel's standard deviations.
    log_weights : array-like of shape (n_kernels,)
        Initial log mixture weights (normalised inside ``forward``).
    lower : array-like of shape (n_kernels or 1, n_features, n_features) or None
        Initial ``T_m`` (only the strictly lower triangle is used); None for
        kernels without correlations.
    """

    def __init__(self, means, log_precision, log_weights, lower=None):
        super().__init__()
        self.means = torch.nn.Parameter(_tensor(means))
        self.log_precision = torch.nn.Parameter(_tensor(log_precision))
        self.logits = torch.nn.Parameter(_tensor(log_weights))
        self.lower = None if lower is None else torch.nn.Parameter(_tensor(lower))
        n_features = self.means.shape[1]
        self.register_buffer(
            "strict_lower", torch.tril(torch.ones(n_features, n_features), diagonal=-1)
        )
        self.log_norm = -0.5 * n_features * math.log(2 * math.pi)

    def forward(self, X):
        """``(batch, n_features)`` -> ``log p(x)`` of shape ``(batch,)``."""
        log_scale = self.log_precision.expand_as(self.means)  # (n_kernels, d)
        if self.lower is None:
            z = (X[:, None, :] - self.means) * log_scale.exp()
        else:
            L = self.lower * self.strict_lower + torch.diag_embed(
                self.log_precision.exp().expand(self.lower.shape[0], -1)
            )
            if L.shape[0] == 1:  # tied: L (x - mu_m) = L x - L mu_m, one product
                z = (X @ L[0].T)[:, None, :] - self.means @ L[0].T
            else:
                diff = X[:, None, :] - self.means  # (batch, n_kernels, d)
                z = (diff.unsqueeze(-2) @ L.transpose(-1, -2)).squeeze(-2)
        log_kernel = -0.5 * z.square().sum(-1) + log_scale.sum(-1)
        log_weights = torch.log_softmax(self.logits, dim=0)
        return torch.logsumexp(log_kernel + log_weights, dim=1) + self.log_norm


def _tensor(values):
    return torch.as_tensor(np.asarray(values), dtype=torch.float32)


class NegativeLogLikelihood(torch.nn.Module):
    """Criterion for density nets: the mean of ``-log p(x)``; the target is unused."""

    def forward(self, log_density, target=None):
        """Mean negative log-likelihood of a batch, in nats."""
        return -log_density.mean()


class KNIFEDensity(BaseEstimator):
    """Density estimator ``p(x)`` of continuous features, in the units of ``x``.

    Each feature is standardised, a :class:`KNIFE` mixture is initialised by
    EM (``sklearn.mixture.GaussianMixture`` on at most 10,000 rows, seeded by
    k-means) and trained by maximum likelihood with AdamW through a
    :class:`skorch.NeuralNet`; training stops
    when the negative log-likelihood on a held-out ``validation_fraction`` has
    not improved for ``patience`` epochs and keeps the best weights. The EM
    fit counts as epoch 0: EM sees every row, so when the first gradient
    epoch does not improve on it, training stops there and keeps it.
    :meth:`score_samples` adds the log-Jacobian of the standardisation back, so
    ``-score_samples(X)`` is the pointwise differential entropy of ``X`` in its
    own units (nats).

    Parameters
    ----------
    n_kernels : int, default=8
        Mixture components (reduced to the number of samples if larger).
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        What the kernels' covariances share, as in scikit-learn's
        ``GaussianMixture``: ``"full"`` is the original KNIFE (each kernel its
        own scales and lower-triangular mixing); ``"tied"`` one full
        covariance for all kernels, far fewer parameters in high dimension.
    max_epochs : int, default=200
    lr : float, default=1e-3
        AdamW learning rate.
    weight_decay : float, default=0.0
    batch_size : int, default=256
    validation_fraction : float, default=0.2
        Held-out fraction for early stopping; 0 trains ``max_epochs`` epochs.
    patience : int, default=10
    device : str, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the split and the batch order.
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
    support_ : ndarray of bool of shape (n_features,)
        The non-constant columns of the fitting data (``max > min``), the only
        ones modelled (a constant column has no density; it is ignored).
    pow2_ : ndarray of shape (n_support,)
        Exact powers of two dividing the columns of extreme magnitude first
        (1 elsewhere; see :func:`~sklearn_pid._standardize.power_of_two_scale`).
    mean_, scale_ : ndarray of shape (n_support,)
        The standardisation of the modelled columns.
    log_jacobian_ : float
        ``sum(log(scale_)) + sum(log(pow2_))``, added to every pointwise
        entropy.
    device_ : str
    n_epochs_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_pid.nn import KNIFEDensity
    >>> X = np.random.default_rng(0).normal(size=(2000, 1))
    >>> density = KNIFEDensity(n_kernels=1, random_state=0).fit(X)
    >>> round(-density.score(X), 1)  # differential entropy of N(0, 1): 1.42 nats
    1.4
    """

    _parameter_constraints = {
        "n_kernels": [Interval(numbers.Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [StrOptions({"auto"}), str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_kernels=8,
        covariance_type="full",
        max_epochs=200,
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        validation_fraction=0.2,
        patience=10,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_kernels = n_kernels
        self.covariance_type = covariance_type
        self.max_epochs = max_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit the mixture to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : KNIFEDensity
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self.support_ = np.ptp(X, axis=0) > 0
        if not self.support_.any():
            raise ValueError(
                "Every column of X is constant: there is no density to estimate."
            )
        X = X[:, self.support_]
        self.pow2_ = power_of_two_scale(X)
        X = X / self.pow2_
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.log_jacobian_ = float(np.log(self.scale_).sum() + np.log(self.pow2_).sum())
        self.device_ = resolve_device(self.device)
        Z = ((X - self.mean_) / self.scale_).astype(np.float32)
        seed = draw_seed(self.random_state)
        # EM sees every row, the validation rows included: on the toy models
        # this halves the entropy error of an EM fitted on the training rows
        # only (the mixture is data-hungry), at the price that early stopping
        # only decides how far gradient training may move from the EM fit.
        rows = np.random.RandomState(seed).permutation(Z.shape[0])[:EM_MAX_SAMPLES]
        init = _mixture_init(Z[rows], self.n_kernels, self.covariance_type, seed)
        n_kernels, n_features = init["means"].shape
        width = n_features * (n_kernels if self.covariance_type == "full" else 1)
        self.net_ = fit_early_stopped(
            self,
            NeuralNet,
            KNIFE,
            Z,
            None,
            seed=seed,
            flops=self.batch_size * n_features * (width + n_kernels),
            fitted_start=True,
            **{f"module__{name}": value for name, value in init.items()},
            criterion=NegativeLogLikelihood,
        )
        self.n_epochs_ = len(self.net_.history)
        return self

    def score_samples(self, X):
        """``log p(x)`` per sample, in nats, for ``x`` in its original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Z = (X[:, self.support_] / self.pow2_ - self.mean_) / self.scale_
        return batched_forward(self.net_, Z, self.batch_size) - self.log_jacobian_

    def score(self, X, y=None):
        """Mean log-likelihood of ``X`` in nats (higher is better)."""
        return float(np.mean(self.score_samples(X)))


def _mixture_init(Z, n_kernels, covariance_type, seed):
    """KNIFE parameters from a Gaussian mixture fitted to ``Z`` by EM.

    k-means seeds the means; EM gives weights and covariances.
    scikit-learn's precision Cholesky factor ``U`` (upper triangular,
    precision ``U U^T``) is ``L^T`` of :class:`KNIFE`. EM runs on one BLAS
    thread: its rounding then does not depend on the threads of the process
    (the same numbers for any ``n_jobs`` of LSMIEstimator), and its small
    matrix products are faster without thread synchronisation.
    """
    gmm = GaussianMixture(
        min(n_kernels, Z.shape[0]),
        covariance_type=covariance_type,
        reg_covar=MIN_INIT_STD**2,
        max_iter=EM_ITERATIONS,
        random_state=seed,
    )
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # only an initialisation
        gmm.fit(Z)
    chol = gmm.precisions_cholesky_
    init = {"means": gmm.means_, "log_weights": np.log(gmm.weights_)}
    if covariance_type in ("full", "tied"):
        L = np.swapaxes(chol.reshape((-1,) + chol.shape[-2:]), 1, 2)
        init["log_precision"] = np.log(np.diagonal(L, axis1=1, axis2=2))
        init["lower"] = np.tril(L, k=-1)
    else:  # diag: (n_kernels, d); spherical: (n_kernels,)
        init["log_precision"] = np.log(chol.reshape(chol.shape[0], -1))
    return init
