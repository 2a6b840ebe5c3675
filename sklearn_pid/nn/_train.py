"""Training plumbing shared by every skorch net: device, seeds, callbacks, batches."""

import contextlib
import copy
import sys
import threading

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import ValidSplit
from tqdm import tqdm

from ._common import current_progress_label

#: Smallest validation split (in samples) that early stopping will use.
MIN_VALID_SAMPLES = 20

#: Below this many multiply-adds per training step, CPU training runs on one
#: thread: for small networks, thread synchronisation costs more than it saves,
#: and on a busy machine spinning threads make it several times slower.
SMALL_STEP_FLOPS = 5_000_000

#: torch's global generator and CPU thread count belong to the process: a fit
#: holds this lock while it sets them, i.e. for the whole fit, so neural fits in
#: threads of one process (joblib's "threading" backend, Dask workers with
#: several threads) run one after the other and each draws from its own seed.
#: Use processes for parallel fits.
_TORCH_STATE_LOCK = threading.RLock()


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when CUDA is available, else ``"cpu"``.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` or anything :class:`torch.device` accepts.

    Returns
    -------
    str
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = str(torch.device(device))
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device={device!r} is not a torch device ({error}); use 'auto', 'cpu', "
            "'cuda' or 'cuda:N'."
        ) from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available; use device='auto' or 'cpu'."
        )
    return device


@contextlib.contextmanager
def torch_seed(seed, device="cpu"):
    """Run the block with torch's global generators seeded, then restore them.

    skorch draws initial weights and shuffles batches from torch's global
    generator; forking it keeps ``random_state`` reproducible without changing
    the caller's random stream.
    """
    devices = []
    if str(device).startswith("cuda"):
        devices = [torch.device(device).index or 0]
    with _TORCH_STATE_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def cpu_threads(device, flops_per_step):
    """Run the block on one torch thread if it trains a small model on the CPU.

    Parameters
    ----------
    device : str
    flops_per_step : float
        Rough multiply-adds of one forward pass of a batch.
    """
    if not str(device).startswith("cpu") or flops_per_step >= SMALL_STEP_FLOPS:
        yield
        return
    with _TORCH_STATE_LOCK:
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


class EpochProgress(Callback):
    """A labelled progress bar on stderr that advances once per epoch.

    Each training run (``fit`` or ``partial_fit``) draws one bar, with the
    last losses beside it, and closes it when the run ends; it then stays as
    one line, e.g. ``LSMIEstimator fold 2/5 posterior p(y|x1):  37%|###   |
    74/200 [00:02<00:03, 31.4epoch/s, train_loss=0.18, valid_loss=0.19,
    stopped early]``.

    Parameters
    ----------
    label : str
        What the net trains.
    total : int or None, default=None
        Epochs of a run; None reads the net's ``max_epochs``.
    """

    def __init__(self, label, total=None):
        self.label = label
        self.total = total

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(
            total=self.total or net.max_epochs,
            desc=self.label,
            unit="epoch",
            file=sys.stderr,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        if self.bar_.n < self.bar_.total:
            parts = [self.bar_.postfix, "stopped early"]
            self.bar_.set_postfix_str(", ".join(filter(None, parts)), refresh=False)
        self.bar_.close()
        self.bar_ = None  # it holds stderr, which does not pickle


def training_setup(
    n_samples,
    *,
    validation_fraction,
    patience,
    seed,
    verbose,
    label,
    y=None,
    threshold=1e-4,
    n_nets=None,
    fitted_start=False,
):
    """skorch ``train_split`` and ``callbacks`` for early-stopped training.

    Early stopping monitors the loss on a held-out fraction and restores the
    best weights; an epoch counts as an improvement when the loss drops by
    more than the relative ``threshold`` (skorch's default, 1e-4). With
    ``n_nets``, the module is a stack of that many networks trained together
    (e.g. :class:`~sklearn_pid.nn._mlp.StackedMLP`) and each one is stopped
    and restored on its own loss (:class:`StackedEarlyStopping`). With
    ``fitted_start``, the initial weights are epoch 0 of early stopping
    (:class:`FittedStartEarlyStopping`). It is
    switched off (``train_split=None``, fixed epochs) when the split would
    hold fewer than :data:`MIN_VALID_SAMPLES` samples, or, with labels ``y``,
    fewer samples than classes or a class with a single sample.

    With ``verbose``, an :class:`EpochProgress` bar labelled ``label``, or by
    the innermost :func:`~sklearn_pid.nn._common.progress_label`.

    Returns
    -------
    train_split : ValidSplit or None
    callbacks : list of (str, Callback)
    """
    n_valid = int(validation_fraction * n_samples)
    use_valid = validation_fraction > 0 and n_valid >= MIN_VALID_SAMPLES
    if use_valid and y is not None:
        counts = np.bincount(y)
        use_valid = n_valid >= counts.size and counts.min() >= 2
    callbacks = []
    if verbose:
        # before early stopping, which ends the run inside on_epoch_end
        callbacks.append(("progress", EpochProgress(current_progress_label(label))))
    train_split = None
    if use_valid:
        train_split = ValidSplit(
            validation_fraction, stratified=y is not None, random_state=seed
        )
        if n_nets is not None:
            stopping = StackedEarlyStopping(patience=patience, threshold=threshold)
        else:
            kind = FittedStartEarlyStopping if fitted_start else EarlyStopping
            stopping = kind(
                patience=patience, threshold=threshold, load_best=True, sink=_silent
            )
        callbacks.append(("early_stopping", stopping))
    return train_split, callbacks


class FittedStartEarlyStopping(EarlyStopping):
    """Early stopping for a module that starts at a fitted optimum.

    As :class:`skorch.callbacks.EarlyStopping` (``load_best``), except that
    the initial weights count as epoch 0: their validation loss is the first
    score to beat. A start fitted on all the rows (KNIFE's EM fit, validation
    rows included) is a maximum of their likelihood, so a first epoch that
    does not beat it is moving away from it: training stops there and keeps
    the initial weights. Once an epoch has beaten the start, ``patience``
    applies as usual.
    """

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        _, dataset_valid = net.get_split_datasets(X, y)
        losses, sizes = [], []
        for batch in net.get_iterator(dataset_valid, training=False):
            losses.append(float(net.validation_step(batch)["loss"]))
            sizes.append(len(batch[0]))
        self.dynamic_threshold_ = self._calc_new_threshold(
            np.average(losses, weights=sizes)
        )
        self.best_model_weights_ = copy.deepcopy(net.module_.state_dict())

    def on_epoch_end(self, net, **kwargs):
        if self.best_epoch_ == 0 and not self._is_score_improved(
            net.history[-1, self.monitor]
        ):
            self.misses_ = self.patience - 1  # this miss ends training
        super().on_epoch_end(net, **kwargs)


class StackedEarlyStopping(Callback):
    """Early stopping of each network of a stack, on its own validation loss.

    For a :class:`~sklearn_pid.nn._mlp.StackedMLP`, whose output has shape
    ``(n_nets, batch, n_classes)`` (logits). Network ``g`` is judged as
    :class:`skorch.callbacks.EarlyStopping` would judge it alone: an epoch
    improves on it when its mean validation cross-entropy drops below
    ``(1 - threshold)`` times its best, and its weights at its best epoch
    are kept. After ``patience`` epochs without improving it is switched
    off (``active[g] = False``); training ends when all are, and each
    network then gets its best weights back (one that never improved, e.g.
    a diverged one, keeps its last weights, as with skorch). The networks
    share nothing (their own weights, a summed loss, per-element AdamW), so
    each trains as it would alone on the same split and batches.

    Parameters
    ----------
    patience : int
    threshold : float

    Attributes
    ----------
    best_loss_ : ndarray of shape (n_nets,)
    best_epoch_ : ndarray of int of shape (n_nets,)
        The epoch (from 1) of each network's best loss; 0 before any.
    """

    def __init__(self, patience, threshold):
        self.patience = patience
        self.threshold = threshold

    def on_train_begin(self, net, **kwargs):
        n_nets = net.module_.n_nets
        self.best_loss_ = np.full(n_nets, np.inf)
        self.best_epoch_ = np.zeros(n_nets, dtype=int)
        self._best = [None] * n_nets
        self._sums = np.zeros(n_nets)
        self._count = 0

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if training:
            return
        y = torch.as_tensor(batch[1], device=y_pred.device)
        n_nets, size, n_classes = y_pred.shape
        with torch.no_grad():
            losses = torch.nn.functional.cross_entropy(
                y_pred.reshape(-1, n_classes), y.repeat(n_nets), reduction="none"
            )
            self._sums += losses.view(n_nets, size).sum(1).double().cpu().numpy()
        self._count += size

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        losses = np.where(module.active, self._sums / self._count, np.nan)
        self._sums[:] = 0
        self._count = 0
        epoch = len(net.history)
        net.history.record("valid_losses", losses.tolist())
        for g in np.flatnonzero(module.active):
            if losses[g] < self.best_loss_[g] * (1 - self.threshold):
                self.best_loss_[g] = losses[g]
                self.best_epoch_[g] = epoch
                self._best[g] = _copy_state(module.nets[g])
            elif epoch - self.best_epoch_[g] >= self.patience:
                module.active[g] = False
        if not any(module.active):
            raise KeyboardInterrupt  # how skorch's EarlyStopping ends training

    def on_train_end(self, net, **kwargs):
        module = net.module_
        for g, state in enumerate(self._best):
            if self.best_epoch_[g]:  # as skorch: a net that never improved stays
                module.nets[g].load_state_dict(state)
        module.active = [True] * module.n_nets


def _copy_state(module):
    """A copy of ``module``'s state dict (its tensors cloned)."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _silent(*args, **kwargs):
    """A ``sink`` that prints nothing (early stopping's message)."""


class BatchLoader:
    """Mini-batches of a skorch ``Dataset`` by slicing whole arrays.

    A drop-in ``iterator_train`` / ``iterator_valid`` for skorch nets on
    in-memory NumPy data: one indexing operation per batch instead of
    :class:`torch.utils.data.DataLoader`'s one call per sample and collate
    (8x faster per epoch for small networks). Shuffling draws from torch's
    global generator, like ``DataLoader``.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.utils.data.Subset of one
    batch_size : int, default=256
    shuffle : bool, default=False
    **kwargs
        Other ``DataLoader`` arguments, ignored.
    """

    def __init__(self, dataset, batch_size=256, shuffle=False, **kwargs):
        indices = None
        if isinstance(dataset, torch.utils.data.Subset):
            indices = torch.as_tensor(np.asarray(dataset.indices))
            dataset = dataset.dataset
        X = torch.as_tensor(dataset.X)
        y = torch.zeros(len(X)) if dataset.y is None else torch.as_tensor(dataset.y)
        if indices is not None:
            X, y = X[indices], y[indices]
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        n = len(self.X)
        order = torch.randperm(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                rows = slice(start, start + self.batch_size)
            else:
                rows = order[start : start + self.batch_size]
            yield self.X[rows], self.y[rows]


def build_net(net_class, module, *, device, **kwargs):
    """A skorch net with the package's conventions.

    In-memory slicing batches (:class:`BatchLoader`) for training and
    validation, shuffled training batches, silent (progress comes from the
    callbacks), on ``device``.

    Parameters
    ----------
    net_class : type
        :class:`skorch.NeuralNet` or a subclass.
    module : type
        The torch module class.
    device : str
    **kwargs
        Other arguments of ``net_class`` (criterion, optimizer, lr, module
        parameters, ...).

    Returns
    -------
    skorch.NeuralNet
    """
    return net_class(
        module,
        iterator_train=BatchLoader,
        iterator_valid=BatchLoader,
        iterator_train__shuffle=True,
        device=device,
        verbose=0,
        **kwargs,
    )


@contextlib.contextmanager
def training(seed, device, flops_per_step):
    """Seed torch's generators and pick the CPU threads for a training block.

    :func:`torch_seed` and :func:`cpu_threads` together: every fit of the
    package trains its nets inside this block.
    """
    with torch_seed(seed, device), cpu_threads(device, flops_per_step):
        yield


def fit_early_stopped(
    estimator,
    net_class,
    module,
    X,
    y,
    *,
    seed,
    flops,
    n_nets=None,
    fitted_start=False,
    **kwargs,
):
    """Train a net with AdamW and early stopping, as ``estimator`` says.

    The training parameters of :class:`~sklearn_pid.nn.MLPPosterior` and
    :class:`~sklearn_pid.nn.KNIFEDensity` (``lr``, ``weight_decay``,
    ``max_epochs``, ``batch_size``, ``validation_fraction``, ``patience``,
    ``verbose``, and the resolved ``device_``) are read from ``estimator``.

    Parameters
    ----------
    estimator : estimator
    net_class, module : type
        As in :func:`build_net`.
    X : ndarray of shape (n_samples, n_features)
        Training inputs (float32).
    y : ndarray of shape (n_samples,) or None
        Class indices (stratified validation split) or None.
    seed : int
        Seeds the split, initial weights and batch order.
    flops : float
        Rough multiply-adds of one training batch (see :func:`cpu_threads`).
    n_nets : int or None, default=None
        The number of networks of a stacked module, each early-stopped on its
        own (see :func:`training_setup`); None for a single network.
    fitted_start : bool, default=False
        The module starts at fitted weights that early stopping may keep
        (see :class:`FittedStartEarlyStopping`).
    **kwargs
        Further arguments of the net (criterion, module parameters...).

    Returns
    -------
    skorch.NeuralNet
        The fitted net.
    """
    train_split, callbacks = training_setup(
        X.shape[0],
        validation_fraction=estimator.validation_fraction,
        patience=estimator.patience,
        seed=seed,
        verbose=estimator.verbose,
        label=type(estimator).__name__,
        y=y,
        n_nets=n_nets,
        fitted_start=fitted_start,
    )
    net = build_net(
        net_class,
        module,
        device=estimator.device_,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=estimator.weight_decay,
        lr=estimator.lr,
        max_epochs=estimator.max_epochs,
        batch_size=estimator.batch_size,
        train_split=train_split,
        callbacks=callbacks,
        callbacks__print_log=None,
        **kwargs,
    )
    with training(seed, estimator.device_, flops):
        net.fit(X, y)
    return net


def batched_forward(net, X, batch_size, method="forward", axis=0, flops=np.inf):
    """Module outputs for ``X`` in batches, as a float64 NumPy array.

    The one inference routine and precision rule of the package: on the CPU
    the module runs in float64 (a copy), so that a row's output does not
    depend on the batch it is in (float32 matrix products round differently
    for different batch sizes) and log-probabilities stay exact in the tails;
    on CUDA it runs as trained.

    Parameters
    ----------
    net : skorch.NeuralNet
        Initialised and fitted.
    X : ndarray of shape (n_samples, n_features)
    batch_size : int
    method : str, default="forward"
        The module's method to call on each batch.
    axis : int, default=0
        The samples' axis of the method's output (``-2`` for outputs of shape
        ``(..., batch, n_classes)``).
    flops : float, default=inf
        Rough multiply-adds of one batch: small models run on one CPU thread
        (see :func:`cpu_threads`).

    Returns
    -------
    ndarray
        The outputs of all batches, concatenated along ``axis``.
    """
    module = net.module_
    dtype = torch.float32
    if torch.device(net.device).type == "cpu":
        module = copy.deepcopy(module).double()
        dtype = torch.float64
    module.eval()
    outputs = []
    with torch.inference_mode(), cpu_threads(net.device, flops):
        for start in range(0, X.shape[0], batch_size):
            batch = torch.as_tensor(
                X[start : start + batch_size], dtype=dtype, device=net.device
            )
            outputs.append(getattr(module, method)(batch).double().cpu().numpy())
    if not outputs:
        return np.empty((0,))
    return np.concatenate(outputs, axis=axis)
