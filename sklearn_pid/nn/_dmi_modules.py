"""Torch modules of :class:`~sklearn_pid.dmi.DMIClassifier` and its baselines.

Defined at module level (not inside ``fit``) so that fitted estimators pickle.
Every module takes one float tensor ``X`` whose first ``n_in_1`` columns are
modality 1 and the rest modality 2, and exposes

* ``forward(X)``: a dict of tensors used by :meth:`loss` during training;
* ``loss(out, y)``: the training objective of the current ``stage``;
* ``log_proba(X)``: ``log p(y | x1, x2)`` of the fused prediction.

The skorch net :class:`FusionNet` calls ``loss`` from its ``get_loss``.
"""

import math

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn
from torch.nn import functional as F

from ._common import STAGES
from ._mlp import MLP

#: Smallest variance of the class-conditional Gaussians of the alignment loss.
_VAR_FLOOR = 1e-4


def build_encoder(encoder, kwargs, n_in, n_out, hidden_sizes, name="encoder"):
    """``encoder(n_in, n_out, **kwargs)``, checked, or the default :class:`MLP`.

    A user encoder must be a ``torch.nn.Module`` class that takes
    ``(n_in, n_out, **kwargs)`` and maps a float tensor ``(batch, n_in)`` to
    ``(batch, n_out)``; it is tried once, in eval mode, on a batch of zeros,
    so that a wrong signature or output size fails here with its ``name``.
    """
    if encoder is None:
        return MLP(n_in, n_out, hidden_sizes=tuple(hidden_sizes))
    kwargs = dict(kwargs or {})
    try:
        module = encoder(n_in, n_out, **kwargs)
    except TypeError as error:
        raise TypeError(
            f"{name} must be a torch.nn.Module class called as {name}(n_in, "
            f"embedding_dim, **{name}_kwargs); {name}({n_in}, {n_out}, "
            f"**{kwargs!r}) failed: {error}"
        ) from error
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_in))
    except Exception as error:
        raise ValueError(
            f"{name} failed on a batch of shape (2, {n_in}): {error}. It must map "
            f"a float tensor (batch, {n_in}) to (batch, embedding_dim={n_out})."
        ) from error
    module.train()
    shape = tuple(getattr(out, "shape", ()))
    if shape != (2, n_out):
        raise ValueError(
            f"{name} must return a tensor of shape (batch, embedding_dim) = "
            f"(batch, {n_out}); on a batch of shape (2, {n_in}) it returned "
            f"{shape if shape else type(out).__name__}."
        )
    return module


class FusionModule(nn.Module):
    """Two modality encoders ``phi_1``, ``phi_2``; the base of the three models.

    Parameters
    ----------
    n_in_1, n_in_2 : int
        Input features of modality 1 and 2.
    n_classes : int
    embedding_dim : int, default=32
        Output size of each encoder (``Z_m``).
    hidden_sizes : tuple of int, default=(64,)
        Hidden layers of the default MLP encoders.
    encoder_1, encoder_2 : torch module class or None
        Called as ``encoder_m(n_in_m, embedding_dim, **encoder_m_kwargs)``;
        ``None`` gives an :class:`MLP`.
    encoder_1_kwargs, encoder_2_kwargs : dict or None
    """

    def __init__(
        self,
        n_in_1,
        n_in_2,
        n_classes,
        embedding_dim=32,
        hidden_sizes=(64,),
        encoder_1=None,
        encoder_1_kwargs=None,
        encoder_2=None,
        encoder_2_kwargs=None,
    ):
        super().__init__()
        self.n_in_1 = n_in_1
        self.n_classes = n_classes
        self.embedding_dim = embedding_dim
        self.encoder_1 = build_encoder(
            encoder_1,
            encoder_1_kwargs,
            n_in_1,
            embedding_dim,
            hidden_sizes,
            "encoder_1",
        )
        self.encoder_2 = build_encoder(
            encoder_2,
            encoder_2_kwargs,
            n_in_2,
            embedding_dim,
            hidden_sizes,
            "encoder_2",
        )
        self.stage = STAGES[0]
        self.freeze_encoders = False

    def encode(self, X):
        """``(Z_1, Z_2)``, each of shape ``(batch, embedding_dim)``."""
        return self.encoder_1(X[:, : self.n_in_1]), self.encoder_2(X[:, self.n_in_1 :])

    def set_stage(self, stage):
        """Select the objective; the encoders are frozen in ``"decomposition"``.

        Frozen encoders get ``requires_grad=False`` (so they get no gradient
        and the optimiser skips them) and stay in eval mode (dropout off, batch
        norm statistics kept).
        """
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}.")
        self.stage = stage
        self.freeze_encoders = stage == "decomposition"
        for encoder in (self.encoder_1, self.encoder_2):
            for param in encoder.parameters():
                param.requires_grad_(not self.freeze_encoders)
        self.train(self.training)
        return self

    def train(self, mode=True):
        super().train(mode)
        if self.freeze_encoders:
            self.encoder_1.eval()
            self.encoder_2.eval()
        return self


class JointFusionModule(FusionModule):
    """Joint fusion: ``MLP([Z_1, Z_2]) -> logits``, trained by cross-entropy.

    Parameters
    ----------
    head_hidden : int, default=64
        Hidden width of the fusion MLP (one hidden layer).
    **kwargs
        As in :class:`FusionModule`.
    """

    def __init__(self, *args, head_hidden=64, **kwargs):
        super().__init__(*args, **kwargs)
        self.head = MLP(
            2 * self.embedding_dim, self.n_classes, hidden_sizes=(head_hidden,)
        )

    def forward(self, X):
        z1, z2 = self.encode(X)
        return {"logits": self.head(torch.cat([z1, z2], dim=1))}

    def loss(self, out, y):
        return F.cross_entropy(out["logits"], y)

    def log_proba(self, X):
        return F.log_softmax(self(X)["logits"], dim=1)


class EnsembleFusionModule(FusionModule):
    """Ensemble: a linear head per modality, each trained by cross-entropy;
    the prediction is the average of the two unimodal posteriors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_1 = nn.Linear(self.embedding_dim, self.n_classes)
        self.head_2 = nn.Linear(self.embedding_dim, self.n_classes)

    def unimodal_logits(self, X):
        z1, z2 = self.encode(X)
        return self.head_1(z1), self.head_2(z2)

    def forward(self, X):
        logits_1, logits_2 = self.unimodal_logits(X)
        return {"logits_1": logits_1, "logits_2": logits_2}

    def loss(self, out, y):
        return F.cross_entropy(out["logits_1"], y) + F.cross_entropy(out["logits_2"], y)

    def log_proba(self, X):
        out = EnsembleFusionModule.forward(self, X)
        stacked = torch.stack(
            [F.log_softmax(out["logits_1"], 1), F.log_softmax(out["logits_2"], 1)]
        )
        return torch.logsumexp(stacked, dim=0) - math.log(2.0)


class DMIModule(EnsembleFusionModule):
    """Decomposition-based multimodal interaction learning (DMI).

    On top of the encoders and the unimodal heads of the warm-up stage (the
    ensemble objective), each modality ``m`` has

    * a variational encoder ``q(R_m, U_m, V_m | Z_m)``: a diagonal Gaussian
      over the redundant part ``R_m`` and unique part ``U_m`` (together the
      task-related latent ``T_m``) and the task-irrelevant latent ``V_m``,
      each of ``latent_dim`` dimensions, sampled by reparameterisation and
      pulled towards ``N(0, I)`` by a KL term of weight ``beta``;
    * a decoder that reconstructs ``Z_m`` from ``(T_m, V_m)`` (squared error,
      weight ``reconstruction_weight``);

    and the heads are: ``g_R`` (shared by ``R_1`` and ``R_2``), ``g_U1``,
    ``g_U2`` (linear), and ``g_S``, an MLP on ``[V_1, V_2]`` (synergy). The
    logits add up: ``R = (g_R(R_1) + g_R(R_2)) / 2`` and the fused logits are
    ``R + g_U1(U_1) + g_U2(U_2) + g_S(V_1, V_2)``.

    With ``common_dim > 0`` each modality also has a linear map
    ``c_m = W_m Z_m`` to a *common latent* of ``common_dim`` dimensions,
    trained in every stage (from the warm-up on) to agree across modalities
    sample by sample while keeping a standard deviation of at least 1 per
    dimension (``||c_1 - c_2||^2 + sum_m sum_k relu(1 - std(c_mk))``, weight
    ``common_weight``): it learns what the two modalities share, such as a
    context or a type that both see.

    Objective of the warm-up (``CE`` are cross-entropies in nats, averaged over
    the batch)::

        CE(head_1(Z_1)) + CE(head_2(Z_2)) + common_weight * common

    and of the decomposition and fine-tuning stages::

        CE(g_R(R_1)) + CE(g_R(R_2))                    # each R_m is predictive
        + CE(g_R(R_1) + g_U1(U_1)) + CE(g_R(R_2) + g_U2(U_2))   # T_m = (R_m, U_m)
        + CE(stop_grad(R + U_1 + U_2) + g_S(V_1, V_2))   # synergy: the residual
        + beta * sum_m KL(q(R_m, U_m, V_m | Z_m) || N(0, I))
        + reconstruction_weight * sum_m ||dec_m(T_m, V_m) - stop_grad(Z_m)||^2
        + alignment_weight * KLsym(q(R_1 | y, c) || q(R_2 | y, c))
        + separation_weight * sum_m ||corr(R_m, U_m)||^2
        + common_weight * common

    The alignment term compares the distributions of ``R_1`` and ``R_2``
    given the class ``y`` and the common context ``c = (c_1 + c_2) / 2``
    (gradient stopped): for each sample, the samples of its class in the
    batch, weighted by a Gaussian kernel of width ``context_width`` on ``c``,
    give local moments of ``R_1`` and ``R_2`` (diagonal Gaussians: mean of
    the posterior means; mean variance plus variance of the means), and the
    symmetric KL of the two Gaussians is averaged over the samples. Two
    variables with the same class-conditional distributions carry the same
    information about ``y``, so ``R`` keeps only what both modalities tell
    about the label, in each shared context. Without the context
    (``common_dim=0``: plain class-conditional moments over the batch) a
    mixture of samples where only modality 1 is informative and samples
    where only modality 2 is, in equal proportions, also has matching class
    conditionals, and its unique information is counted as redundant. The
    separation term (squared cross-correlations of the posterior means over
    the batch) keeps ``U_m`` from copying ``R_m``. The stop-gradient on the
    unimodal logits of the fused term makes the synergy head learn what the
    unimodal parts cannot predict.

    Parameters
    ----------
    latent_dim : int, default=8
    head_hidden : int, default=64
        Hidden width of the synergy head and the decoders.
    beta, reconstruction_weight, alignment_weight, separation_weight : float
    common_dim : int, default=0
        Dimension of the common latent; 0 aligns on the class alone.
    common_weight : float, default=1.0
    context_width : float, default=0.5
        Width of the kernel on the common latent.
    **kwargs
        As in :class:`FusionModule`.
    """

    def __init__(
        self,
        *args,
        latent_dim=8,
        head_hidden=64,
        beta=1e-3,
        reconstruction_weight=1.0,
        alignment_weight=1.0,
        separation_weight=0.1,
        common_dim=0,
        common_weight=1.0,
        context_width=0.5,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.common_dim = common_dim
        self.common_weight = common_weight
        self.context_width = context_width
        if common_dim:
            self.common_1 = nn.Linear(self.embedding_dim, common_dim)
            self.common_2 = nn.Linear(self.embedding_dim, common_dim)
        self.latent_dim = latent_dim
        self.beta = beta
        self.reconstruction_weight = reconstruction_weight
        self.alignment_weight = alignment_weight
        self.separation_weight = separation_weight
        k, d, e = self.n_classes, latent_dim, self.embedding_dim
        self.posterior_1 = nn.Linear(e, 6 * d)
        self.posterior_2 = nn.Linear(e, 6 * d)
        self.decoder_1 = MLP(3 * d, e, hidden_sizes=(head_hidden,))
        self.decoder_2 = MLP(3 * d, e, hidden_sizes=(head_hidden,))
        self.head_r = nn.Linear(d, k)
        self.head_u1 = nn.Linear(d, k)
        self.head_u2 = nn.Linear(d, k)
        self.head_s = MLP(2 * d, k, hidden_sizes=(head_hidden,))

    def _latents(self, z, posterior):
        mean, log_var = posterior(z).chunk(2, dim=1)
        log_var = log_var.clamp(-10.0, 10.0)
        sample = mean
        if self.training:
            sample = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        return mean, log_var, sample

    def forward(self, X):
        if self.stage == "warmup":
            z1, z2 = self.encode(X)
            out = {"logits_1": self.head_1(z1), "logits_2": self.head_2(z2)}
            if self.common_dim:
                out["c_1"], out["c_2"] = self._common(z1, z2)
            return out
        z1, z2 = self.encode(X)
        out = {"z_1": z1, "z_2": z2}
        d = self.latent_dim
        for m, z, posterior, decoder in (
            (1, z1, self.posterior_1, self.decoder_1),
            (2, z2, self.posterior_2, self.decoder_2),
        ):
            mean, log_var, sample = self._latents(z, posterior)
            out[f"mean_{m}"], out[f"log_var_{m}"] = mean, log_var
            out[f"recon_{m}"] = decoder(sample)
            out[f"r_{m}"] = sample[:, :d]
            out[f"u_{m}"] = sample[:, d : 2 * d]
            out[f"v_{m}"] = sample[:, 2 * d :]
        if self.common_dim:
            out["c_1"], out["c_2"] = self._common(z1, z2)
        out["logits_r1"] = self.head_r(out["r_1"])
        out["logits_r2"] = self.head_r(out["r_2"])
        out["logits_u1"] = self.head_u1(out["u_1"])
        out["logits_u2"] = self.head_u2(out["u_2"])
        out["logits_s"] = self.head_s(torch.cat([out["v_1"], out["v_2"]], dim=1))
        return out

    def _common(self, z1, z2):
        """Common latents ``c_1``, ``c_2`` (linear read-outs of ``Z_m``)."""
        return self.common_1(z1), self.common_2(z2)

    def _common_loss(self, out):
        c1, c2 = out["c_1"], out["c_2"]
        common = (c1 - c2).pow(2).sum(1).mean()
        for c in (c1, c2):
            if c.shape[0] > 1:
                common = common + F.relu(1.0 - c.std(0)).sum()
        return self.common_weight * common

    def loss(self, out, y):
        terms = iter(self.loss_terms(out, y).values())
        loss = next(terms)
        for term in terms:
            loss = loss + term
        return loss

    def loss_terms(self, out, y):
        """The weighted terms of the current stage's objective, in nats.

        ``loss`` is their sum, added in this order (the order of the
        objective in the class docstring).

        Returns
        -------
        dict of scalar tensors
            Warm-up: ``ce_1``, ``ce_2`` (and ``common``). Decomposition and
            fine-tuning: ``ce_r1``, ``ce_r2``, ``ce_t1``, ``ce_t2``,
            ``ce_fused``, then ``kl_m``, ``reconstruction_m``,
            ``separation_m`` for ``m = 1, 2`` (each times its weight),
            (``common``) and ``alignment`` (times ``alignment_weight``).
        """
        ce = F.cross_entropy
        if self.stage == "warmup":
            terms = {
                "ce_1": ce(out["logits_1"], y),
                "ce_2": ce(out["logits_2"], y),
            }
            if self.common_dim:
                terms["common"] = self._common_loss(out)
            return terms
        lr1, lr2 = out["logits_r1"], out["logits_r2"]
        lu1, lu2 = out["logits_u1"], out["logits_u2"]
        unimodal = (0.5 * (lr1 + lr2) + lu1 + lu2).detach()
        terms = {
            "ce_r1": ce(lr1, y),
            "ce_r2": ce(lr2, y),
            "ce_t1": ce(lr1 + lu1, y),
            "ce_t2": ce(lr2 + lu2, y),
            "ce_fused": ce(unimodal + out["logits_s"], y),
        }
        d = self.latent_dim
        for m in (1, 2):
            mean, log_var = out[f"mean_{m}"], out[f"log_var_{m}"]
            kl = 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1).mean()
            recon = F.mse_loss(out[f"recon_{m}"], out[f"z_{m}"].detach())
            sep = _cross_correlation(mean[:, :d], mean[:, d : 2 * d])
            terms[f"kl_{m}"] = self.beta * kl
            terms[f"reconstruction_{m}"] = self.reconstruction_weight * recon
            terms[f"separation_{m}"] = self.separation_weight * sep
        if self.common_dim:
            terms["common"] = self._common_loss(out)
            context = (0.5 * (out["c_1"] + out["c_2"])).detach()
            align = _context_class_kl(
                out["mean_1"][:, :d],
                out["log_var_1"][:, :d],
                out["mean_2"][:, :d],
                out["log_var_2"][:, :d],
                y,
                context,
                self.context_width,
            )
        else:
            align = _class_conditional_kl(
                out["mean_1"][:, :d],
                out["log_var_1"][:, :d],
                out["mean_2"][:, :d],
                out["log_var_2"][:, :d],
                y,
                self.n_classes,
            )
        terms["alignment"] = self.alignment_weight * align
        return terms

    def part_logits(self, X):
        """Logits of the heads at the posterior means (eval mode).

        Returns
        -------
        dict of tensors of shape (batch, n_classes)
            ``r1``, ``r2``, ``u1``, ``u2``, ``s``.
        """
        stage = self.stage
        self.stage = STAGES[-1]
        try:
            out = self(X)
        finally:
            self.stage = stage
        return {
            "r1": out["logits_r1"],
            "r2": out["logits_r2"],
            "u1": out["logits_u1"],
            "u2": out["logits_u2"],
            "s": out["logits_s"],
        }

    def log_proba(self, X):
        parts = self.part_logits(X)
        fused = 0.5 * (parts["r1"] + parts["r2"]) + parts["u1"] + parts["u2"]
        return F.log_softmax(fused + parts["s"], dim=1)

    def part_log_probas(self, X):
        """``log p`` of the part posteriors used by ``transform``.

        Returns
        -------
        tensor of shape (5, batch, n_classes)
            ``p_R1``, ``p_R2`` (redundant head), ``p_1``, ``p_2`` (task-related
            ``T_m = (R_m, U_m)``) and the fused ``p_12``.
        """
        parts = self.part_logits(X)
        fused = 0.5 * (parts["r1"] + parts["r2"]) + parts["u1"] + parts["u2"]
        logits = [
            parts["r1"],
            parts["r2"],
            parts["r1"] + parts["u1"],
            parts["r2"] + parts["u2"],
            fused + parts["s"],
        ]
        return torch.stack([F.log_softmax(v, dim=1) for v in logits])


def _cross_correlation(a, b):
    """Mean squared cross-correlation between the columns of ``a`` and ``b``."""
    if a.shape[0] < 2:
        return a.new_zeros(())
    a = (a - a.mean(0)) / (a.std(0) + 1e-4)
    b = (b - b.mean(0)) / (b.std(0) + 1e-4)
    corr = a.T @ b / (a.shape[0] - 1)
    return corr.pow(2).mean()


def _class_conditional_kl(mean_1, log_var_1, mean_2, log_var_2, y, n_classes):
    """Symmetric KL between the class-conditional distributions of R_1 and R_2.

    For each class ``c`` with at least two samples in the batch, the
    aggregate posterior of ``R_m`` over those samples is summarised by a
    diagonal Gaussian (mean of the means; mean variance plus variance of the
    means); the symmetric KL of the two Gaussians is averaged over the classes
    weighted by their counts.
    """
    onehot = F.one_hot(y, n_classes).to(mean_1.dtype)  # (batch, classes)
    counts = onehot.sum(0)
    used = counts >= 2
    if not bool(used.any()):
        return mean_1.new_zeros(())
    safe = counts.clamp(min=1.0)[:, None]
    moments = []
    for mean, log_var in ((mean_1, log_var_1), (mean_2, log_var_2)):
        center = onehot.T @ mean / safe
        spread = onehot.T @ mean.pow(2) / safe - center.pow(2)
        spread = spread * (counts / (counts - 1).clamp(min=1.0))[:, None]
        var = onehot.T @ log_var.exp() / safe + spread.clamp(min=0.0) + _VAR_FLOOR
        moments.append((center, var))
    (m1, v1), (m2, v2) = moments
    diff = (m1 - m2).pow(2)
    sym = 0.5 * ((v1 + diff) / v2 + (v2 + diff) / v1 - 2.0).sum(1)
    weights = counts * used
    return (weights * sym).sum() / weights.sum()


def _context_class_kl(mean_1, log_var_1, mean_2, log_var_2, y, context, width):
    """Symmetric KL between R_1 and R_2 given the class and the common context.

    Each sample's neighbourhood is the samples of its class, weighted by a
    Gaussian kernel of width ``width`` on the common latent; the local
    moments of R_1 and R_2 there are compared.
    """
    dist = torch.cdist(context, context).pow(2)
    weights = torch.exp(-dist / (2 * width**2)) * (y[:, None] == y[None, :])
    weights = weights / weights.sum(1, keepdim=True)
    moments = []
    for mean, log_var in ((mean_1, log_var_1), (mean_2, log_var_2)):
        center = weights @ mean
        spread = (weights @ mean.pow(2) - center.pow(2)).clamp(min=0.0)
        var = weights @ log_var.exp() + spread + _VAR_FLOOR
        moments.append((center, var))
    (m1, v1), (m2, v2) = moments
    diff = (m1 - m2).pow(2)
    return (0.5 * ((v1 + diff) / v2 + (v2 + diff) / v1 - 2.0).sum(1)).mean()


def final_objective(net, X, y, batch_size):
    """The final-stage objective of a fitted :class:`DMIModule` net, and its terms.

    The fine-tuning objective (``loss_terms`` in stage ``"finetune"``) at the
    posterior means (eval mode: no latent sample), averaged over consecutive
    batches of ``batch_size`` rows in the order given, weighted by their
    sizes: a deterministic function of the weights and the data, on the
    batch size the net trained with (the alignment and separation terms are
    batch statistics). As in
    :func:`~sklearn_pid.nn._train.batched_forward`, the module runs in
    float64 on the CPU.

    Parameters
    ----------
    net : FusionNet
        Fitted, with a :class:`DMIModule`.
    X : ndarray of shape (n_samples, n_features)
        Standardised inputs.
    y : ndarray of shape (n_samples,)
        Class indices.
    batch_size : int

    Returns
    -------
    dict
        ``objective`` (nats) and the terms of ``loss_terms``, as floats.
    """
    import copy

    from ._train import cpu_threads

    module = copy.deepcopy(net.module_)
    dtype = torch.float32
    if torch.device(net.device).type == "cpu":
        module = module.double()
        dtype = torch.float64
    module.set_stage(STAGES[-1]).eval()
    sums = {}
    with torch.inference_mode(), cpu_threads(net.device, 0):
        for start in range(0, X.shape[0], batch_size):
            rows = slice(start, start + batch_size)
            batch = torch.as_tensor(X[rows], dtype=dtype, device=net.device)
            labels = torch.as_tensor(y[rows], dtype=torch.long, device=net.device)
            terms = module.loss_terms(module(batch), labels)
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value) * labels.shape[0]
    terms = {name: value / max(X.shape[0], 1) for name, value in sums.items()}
    return {"objective": sum(terms.values()), **terms}


class FusionNet(NeuralNet):
    """skorch net whose loss is the module's own ``loss(out, y)``.

    The module's ``forward`` returns a dict of tensors; ``get_loss`` hands it
    with the labels to ``module_.loss``, which knows the current stage.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = torch.as_tensor(y_true, device=self.device).long()
        return self.module_.loss(y_pred, y_true)


class StageLogger(Callback):
    """Record the training stage of each epoch in the net's history."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("stage", net.module_.stage)
