"""KNIFE: a Gaussian-mixture density with full covariances, trained by skorch.

Pichler et al., "A differential entropy estimator for training neural networks"
(ICML 2022). ``-log p(x)`` of the fitted density is the pointwise entropy used by
:class:`~sklearn_pid.LSMIEstimator`.
"""

import math
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet

from ._train import (
    BatchLoader,
    batched_forward,
    draw_seed,
    resolve_device,
    torch_seed,
    training_setup,
)

#: Smallest per-dimension kernel width at initialisation (standardised units).
MIN_INIT_STD = 1e-2


class KNIFE(torch.nn.Module):
    """Mixture of Gaussian kernels; ``forward`` returns ``log p(x)`` in nats.

    Kernel ``m`` has mean ``mu_m`` and precision ``L_m^T L_m`` with
    ``L_m = diag(exp(s_m)) + strictly_lower(T_m)``, so every parameter value is
    a valid density (no clamping) and ``log |det L_m| = sum(s_m)``.

    Parameters
    ----------
    means : array-like of shape (n_kernels, n_features)
        Initial kernel means.
    log_precision : array-like of shape (n_kernels, n_features)
        Initial ``s_m``: minus the log of each kernel's standard deviation.
    log_weights : array-like of shape (n_kernels,)
        Initial log mixture weights (normalised inside ``forward``).
    """

    def __init__(self, means, log_precision, log_weights):
        super().__init__()
        means = torch.as_tensor(np.asarray(means), dtype=torch.float32)
        n_kernels, n_features = means.shape
        self.means = torch.nn.Parameter(means)
        self.log_precision = torch.nn.Parameter(
            torch.as_tensor(np.asarray(log_precision), dtype=torch.float32)
        )
        self.lower = torch.nn.Parameter(torch.zeros(n_kernels, n_features, n_features))
        self.logits = torch.nn.Parameter(
            torch.as_tensor(np.asarray(log_weights), dtype=torch.float32)
        )
        self.register_buffer(
            "strict_lower", torch.tril(torch.ones(n_features, n_features), diagonal=-1)
        )
        self.log_norm = -0.5 * n_features * math.log(2 * math.pi)

    def forward(self, X):
        """``(batch, n_features)`` -> ``log p(x)`` of shape ``(batch,)``."""
        L = self.lower * self.strict_lower + torch.diag_embed(self.log_precision.exp())
        diff = X[:, None, :] - self.means
        z = torch.einsum("mij,bmj->bmi", L, diff)
        log_kernel = -0.5 * z.square().sum(-1) + self.log_precision.sum(-1)
        log_weights = torch.log_softmax(self.logits, dim=0)
        return torch.logsumexp(log_kernel + log_weights, dim=1) + self.log_norm


class NegativeLogLikelihood(torch.nn.Module):
    """Criterion for density nets: the mean of ``-log p(x)``; the target is unused."""

    def forward(self, log_density, target=None):
        """Mean negative log-likelihood of a batch, in nats."""
        return -log_density.mean()


class KNIFEDensity(BaseEstimator):
    """Density estimator ``p(x)`` of continuous features, in the units of ``x``.

    Each feature is standardised, a :class:`KNIFE` mixture is initialised from
    k-means (means, per-cluster widths and weights) and trained by maximum
    likelihood with AdamW through a :class:`skorch.NeuralNet`; training stops
    when the negative log-likelihood on a held-out ``validation_fraction`` has
    not improved for ``patience`` epochs and keeps the best weights.
    :meth:`score_samples` adds the log-Jacobian of the standardisation back, so
    ``-score_samples(X)`` is the pointwise differential entropy of ``X`` in its
    own units (nats).

    Parameters
    ----------
    n_kernels : int, default=8
        Mixture components (reduced to the number of samples if larger).
    max_epochs : int, default=200
    lr : float, default=1e-2
        AdamW learning rate.
    weight_decay : float, default=0.0
    batch_size : int, default=256
    validation_fraction : float, default=0.2
        Held-out fraction for early stopping; 0 trains ``max_epochs`` epochs.
    patience : int, default=10
    device : str, default="auto"
    random_state : int, RandomState instance or None, default=None
        Seeds k-means, the split and the batch order.
    verbose : int, default=0

    Attributes
    ----------
    net_ : skorch.NeuralNet
    mean_, scale_ : ndarray of shape (n_features,)
        The standardisation.
    log_jacobian_ : float
        ``sum(log(scale_))``, added to every pointwise entropy.
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
        max_epochs=200,
        lr=1e-2,
        weight_decay=0.0,
        batch_size=256,
        validation_fraction=0.2,
        patience=10,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_kernels = n_kernels
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
        X = validate_data(self, X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        if np.any(self.scale_ == 0):
            raise ValueError(
                f"Columns {np.flatnonzero(self.scale_ == 0).tolist()} are constant: "
                "a density (and a differential entropy) needs variation in every "
                "column. Drop constant columns first."
            )
        self.log_jacobian_ = float(np.log(self.scale_).sum())
        self.device_ = resolve_device(self.device)
        Z = ((X - self.mean_) / self.scale_).astype(np.float32)
        seed = draw_seed(self.random_state)
        train_split, callbacks = training_setup(
            X.shape[0],
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            seed=seed,
            verbose=self.verbose,
        )
        means, log_precision, log_weights = _kmeans_init(Z, self.n_kernels, seed)
        self.net_ = NeuralNet(
            KNIFE,
            module__means=means,
            module__log_precision=log_precision,
            module__log_weights=log_weights,
            criterion=NegativeLogLikelihood,
            optimizer=torch.optim.AdamW,
            optimizer__weight_decay=self.weight_decay,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=train_split,
            callbacks=callbacks,
            iterator_train=BatchLoader,
            iterator_valid=BatchLoader,
            iterator_train__shuffle=True,
            device=self.device_,
            verbose=0,
        )
        with torch_seed(seed, self.device_):
            self.net_.fit(Z, None)
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
        Z = (X - self.mean_) / self.scale_
        return batched_forward(self.net_, Z, self.batch_size) - self.log_jacobian_

    def score(self, X, y=None):
        """Mean log-likelihood of ``X`` in nats (higher is better)."""
        return float(np.mean(self.score_samples(X)))


def _kmeans_init(Z, n_kernels, seed):
    """Kernel means, log-precisions and log-weights from k-means on ``Z``."""
    n_kernels = min(n_kernels, Z.shape[0])
    kmeans = KMeans(n_clusters=n_kernels, n_init=1, max_iter=50, random_state=seed)
    labels = kmeans.fit_predict(Z)
    counts = np.bincount(labels, minlength=n_kernels)
    std = np.ones_like(kmeans.cluster_centers_)
    for k in np.flatnonzero(counts > 1):
        std[k] = Z[labels == k].std(axis=0)
    std = np.maximum(std, MIN_INIT_STD)
    log_weights = np.log((counts + 1.0) / (counts.sum() + n_kernels))
    return kmeans.cluster_centers_, -np.log(std), log_weights
