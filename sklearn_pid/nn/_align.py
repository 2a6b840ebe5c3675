"""The alignment network of :class:`~sklearn_pid.PIDBatch` (App. B.3).

Two encoders map each sample to one ``d``-dimensional embedding per label,
``f1(x1)[y]`` and ``f2(x2)[y]``, standardised over the embedding axis. For a
batch of ``m`` samples the kernel ``A[y, i, j] = exp(<f1(x1_i)[y],
f2(x2_j)[y]> / sqrt(d))`` is projected by Sinkhorn scaling onto the couplings
whose rows follow ``p(x1_i, y)`` and columns ``p(x2_j, y)``; the loss is the
coupling's ``I_q(X1, X2; Y)`` (App. B.3, eq. 25), minimised through the
unrolled scaling. The skorch net :class:`AlignmentNet` trains it.

The input of the module is one float array per batch, the columns of the
standardised ``x1`` and ``x2`` followed by ``log p(y | x1)`` and
``log p(y | x2)`` of the frozen posteriors, so that skorch's batching,
validation split and device moves apply unchanged.
"""

from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet

from ._mlp import MLP
from ._sinkhorn import (
    PROBA_FLOOR,
    consistent_targets,
    coupling_terms,
    information_features,
    log_kernel,
    sinkhorn,
    tilt_weights,
)


class AlignmentModule(torch.nn.Module):
    """The two encoders ``f1``, ``f2``.

    Parameters
    ----------
    n_features_1, n_features_2 : int
        Columns of each modality.
    n_classes : int
    embedding_dim : int, default=10
        Embedding size ``d`` per label.
    hidden_dim : int, default=32
        Width of the hidden layers.
    n_layers : int, default=2
        Number of hidden layers of each encoder.

    The kernel is ``<exp(s_y) f1(x1)[y], f2(x2)[y]> / sqrt(d)`` with a learnable
    log-sharpness ``s_y`` per label (initially 0, the paper's kernel): the
    standardised embeddings bound the paper's kernel by ``exp(+-sqrt(d))``,
    too flat for the near-deterministic couplings that continuous data can
    need.

    Forward input: ``(batch, n_features_1 + n_features_2 + 2 n_classes)``.
    Output: ``(e1, e2, log_p1, log_p2)`` with ``e*`` of shape
    ``(batch, n_classes, embedding_dim)`` (zero mean, unit variance over the last
    axis) and ``log_p*`` of shape ``(batch, n_classes)``.
    """

    def __init__(
        self,
        n_features_1,
        n_features_2,
        n_classes,
        embedding_dim=10,
        hidden_dim=32,
        n_layers=2,
    ):
        super().__init__()
        self.sizes = (n_features_1, n_features_2, n_classes, n_classes)
        self.n_classes = n_classes
        self.embedding_dim = embedding_dim
        hidden = (hidden_dim,) * n_layers
        self.f1 = MLP(n_features_1, n_classes * embedding_dim, hidden)
        self.f2 = MLP(n_features_2, n_classes * embedding_dim, hidden)
        # learnable sharpness of the kernel, one per label (see the class doc)
        self.log_scale = torch.nn.Parameter(torch.zeros(n_classes))

    def forward(self, X):
        x1, x2, log_p1, log_p2 = torch.split(X, self.sizes, dim=1)
        # capped at exp(1.5): sharper kernels slow Sinkhorn down
        scale = torch.exp(self.log_scale.clamp(max=1.5))[None, :, None]
        e1 = self._embed(self.f1, x1) * scale
        return e1, self._embed(self.f2, x2), log_p1, log_p2

    def _embed(self, f, x):
        e = f(x).view(x.shape[0], self.n_classes, self.embedding_dim)
        mean = e.mean(dim=2, keepdim=True)
        std = e.std(dim=2, keepdim=True, correction=0)
        return (e - mean) / (std + 1e-8)


class CouplingResult(NamedTuple):
    """What :func:`project_batch` computes for one batch.

    ``residual`` is Sinkhorn's final relative residual per label; ``g1``,
    ``g2`` and ``info`` are the anchored terms and the batch ``I_q`` of
    :func:`~sklearn_pid.nn._sinkhorn.coupling_terms`.
    """

    residual: torch.Tensor
    g1: torch.Tensor
    g2: torch.Tensor
    info: torch.Tensor


def batch_targets(log_p1, log_p2, log_prior, info_targets):
    """Row and column targets of a batch: each side tilted to the class prior and
    its unimodal information, then made consistent.

    Parameters
    ----------
    log_p1, log_p2 : Tensor of shape (m, n_classes)
    log_prior : Tensor of shape (n_classes,)
    info_targets : Tensor of shape (2,)

    Returns
    -------
    rows, cols : Tensor of shape (n_classes, m)
    """
    prior = log_prior.exp()
    probas, weights = [], []
    for log_p, info in zip((log_p1, log_p2), info_targets):
        proba = log_p.exp()
        features = information_features(proba, log_prior)
        weights.append(tilt_weights(features, torch.cat([prior, info[None]])))
        probas.append(proba)
    return consistent_targets(weights[0], probas[0], weights[1], probas[1])


def project_batch(
    e1, e2, log_p1, log_p2, log_prior, info_targets, tol, max_iter, unroll=None
):
    """Couple one batch: tilt, Sinkhorn, anchored information terms.

    Parameters
    ----------
    e1, e2 : Tensor of shape (m, n_classes, d)
    log_p1, log_p2 : Tensor of shape (m, n_classes)
        Log posteriors of the frozen unimodal classifiers.
    log_prior : Tensor of shape (n_classes,)
    info_targets : Tensor of shape (2,)
        Dataset means of ``KL(p(.|x1) || p(y))`` and ``KL(p(.|x2) || p(y))``:
        the tilt gives the batch the class prior and these unimodal
        informations, so that they do not fluctuate from batch to batch.
    tol, max_iter, unroll
        Sinkhorn stopping rule and truncation of the gradient (see
        :func:`~sklearn_pid.nn._sinkhorn.sinkhorn`).

    Returns
    -------
    CouplingResult
    """
    with torch.no_grad():
        rows, cols = batch_targets(log_p1, log_p2, log_prior, info_targets)
    log_q, residual, _ = sinkhorn(
        log_kernel(e1, e2), rows, cols, tol, max_iter, unroll=unroll
    )
    return CouplingResult(residual, *coupling_terms(log_q, log_prior))


class InBatchInformation(torch.nn.Module):
    """Loss: the in-batch ``I_q(X1, X2; Y)`` (nats) of the projected coupling.

    Parameters
    ----------
    log_prior : sequence of float
        ``log p(y)`` of the fitting labels.
    info_targets : sequence of 2 floats
        See :func:`project_batch`.
    sinkhorn_tol : float, default=1e-3
    sinkhorn_max_iter : int, default=1000
    sinkhorn_unroll : int or None, default=None
        Differentiate through the last ``sinkhorn_unroll`` iterations only
        (``None``: all).
    """

    def __init__(
        self,
        log_prior,
        info_targets,
        sinkhorn_tol=1e-3,
        sinkhorn_max_iter=1000,
        sinkhorn_unroll=None,
    ):
        super().__init__()
        self.register_buffer(
            "log_prior", torch.as_tensor(log_prior, dtype=torch.float32)
        )
        self.register_buffer(
            "info_targets", torch.as_tensor(info_targets, dtype=torch.float32)
        )
        self.sinkhorn_tol = sinkhorn_tol
        self.sinkhorn_max_iter = sinkhorn_max_iter
        self.sinkhorn_unroll = sinkhorn_unroll
        self.last = None

    def forward(self, y_pred):
        self.last = project_batch(
            *y_pred,
            self.log_prior,
            self.info_targets,
            self.sinkhorn_tol,
            self.sinkhorn_max_iter,
            unroll=self.sinkhorn_unroll,
        )
        return self.last.info


class AlignmentNet(NeuralNet):
    """skorch net that trains :class:`AlignmentModule` on the in-batch information.

    ``get_loss`` runs the criterion (:class:`InBatchInformation`) on the
    module's output; the labels are not used (the posteriors carry them). Each
    batch records ``sinkhorn_residual`` and ``sinkhorn_capped`` (the fraction
    of its per-label projections that ended at the iteration cap) in the
    history.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = self.criterion_(y_pred)
        last = self.criterion_.last
        residual = last.residual.detach()
        capped = residual > self.criterion_.sinkhorn_tol
        self.history.record_batch("sinkhorn_residual", float(residual.max()))
        self.history.record_batch("sinkhorn_capped", float(capped.float().mean()))
        return loss


def pack_inputs(Z1, Z2, log_p1, log_p2):
    """The module's input array: ``[z1, z2, log p(y|x1), log p(y|x2)]`` (float32)."""
    floor = np.log(PROBA_FLOOR)
    return np.hstack(
        [Z1, Z2, np.maximum(log_p1, floor), np.maximum(log_p2, floor)]
    ).astype(np.float32)


__all__ = [
    "AlignmentModule",
    "AlignmentNet",
    "InBatchInformation",
    "pack_inputs",
    "project_batch",
]
