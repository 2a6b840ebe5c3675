"""A multilayer perceptron and the skorch classifier built on it."""

import numbers

import numpy as np
import torch
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNet, NeuralNetClassifier
from skorch.history import History

from .._standardize import Standardizer
from .._validation import check_hidden_sizes
from ._common import draw_seed
from ._train import batched_forward, build_net, fit_early_stopped, resolve_device


class MLP(torch.nn.Module):
    """Fully connected network: ``Linear -> ReLU`` per hidden layer, then ``Linear``.

    Parameters
    ----------
    n_in : int
        Input features.
    n_out : int
        Outputs (logits for a classifier).
    hidden_sizes : sequence of int, default=(64, 64)
        Width of each hidden layer; empty gives a linear map.
    dropout : float, default=0.0
        Dropout probability after each hidden activation.
    skip : bool, default=False
        Add a linear map of the input to the output (a "wide and deep"
        shortcut): the network is then at least as good as logistic
        regression, and extrapolates linearly rather than flat.
    """

    def __init__(self, n_in, n_out, hidden_sizes=(64, 64), dropout=0.0, skip=False):
        super().__init__()
        layers = []
        width = n_in
        for size in hidden_sizes:
            layers += [torch.nn.Linear(width, size), torch.nn.ReLU()]
            if dropout:
                layers.append(torch.nn.Dropout(dropout))
            width = size
        layers.append(torch.nn.Linear(width, n_out))
        self.layers = torch.nn.Sequential(*layers)
        self.skip = torch.nn.Linear(n_in, n_out) if skip and hidden_sizes else None

    def forward(self, X):
        """``(batch, n_in)`` -> ``(batch, n_out)``."""
        out = self.layers(X)
        if self.skip is not None:
            out = out + self.skip(X)
        return out


class StackedMLP(torch.nn.Module):
    """Several :class:`MLP` (with the linear shortcut) trained as one module.

    Network ``g`` reads the first ``n_in[g]`` columns of its slice ``X[:, g]``
    of the input. One forward pass, backward pass and optimiser step trains
    them all: small networks cost mostly per-step overhead, which is then paid
    once instead of once per network. A network switched off
    (``active[g] = False``, by
    :class:`~sklearn_pid.nn._train.StackedEarlyStopping` once it has stopped)
    is skipped: it outputs zeros, gets no gradient, and AdamW leaves it as it
    is, so that the others train at the cost of the ones still running.

    Parameters
    ----------
    n_in : sequence of int
        Input features of each network.
    n_out : int
    hidden_sizes : sequence of int

    Attributes
    ----------
    nets : torch.nn.ModuleList of MLP
    active : list of bool
    """

    def __init__(self, n_in, n_out, hidden_sizes):
        super().__init__()
        self.n_in = tuple(int(n) for n in n_in)
        self.n_out = n_out
        self.nets = torch.nn.ModuleList(
            MLP(n, n_out, hidden_sizes, skip=True) for n in self.n_in
        )
        self.active = [True] * self.n_nets

    @property
    def n_nets(self):
        """The number of networks."""
        return len(self.nets)

    def forward(self, X):
        """``(batch, n_nets, max(n_in))`` -> logits ``(n_nets, batch, n_out)``."""
        return torch.stack(
            [
                net(X[:, g, :n]) if on else X.new_zeros((X.shape[0], self.n_out))
                for g, (net, n, on) in enumerate(zip(self.nets, self.n_in, self.active))
            ]
        )


class _StackNet(NeuralNet):
    """The skorch net of a :class:`StackedMLP`.

    skorch puts every module in training or evaluation mode before every
    batch, a recursion over all the stack's layers that cost about a tenth
    of its training time; here only when the mode changes.
    """

    def _set_training(self, training=True):
        if self.module_.training != training:
            super()._set_training(training)


class StackedCrossEntropy(torch.nn.Module):
    """Sum over the networks of a stack of each one's mean cross-entropy."""

    def forward(self, logits, y):
        n_nets, _, n_classes = logits.shape
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, n_classes), y.repeat(n_nets)
        )
        return n_nets * loss


class MLPPosterior(ClassifierMixin, BaseEstimator):
    """Calibrated class posterior ``p(y | x)`` from a skorch MLP.

    The default posterior of :class:`~sklearn_pid.LSMIEstimator` and
    :class:`~sklearn_pid.PIDBatch`. Features are standardised, then a
    :class:`skorch.NeuralNetClassifier` trains an :class:`MLP` with a linear
    shortcut (it can represent logistic regression exactly and extrapolates
    linearly) with cross-entropy and AdamW. Training stops when the
    cross-entropy on a held-out ``validation_fraction`` has not improved for
    ``patience`` epochs, and the best weights are kept: this is what makes
    ``predict_proba`` a calibrated posterior rather than an overconfident one.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(128,)
        Hidden layer widths.
    max_epochs : int, default=200
        Upper bound on training epochs.
    lr : float, default=3e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW weight decay.
    batch_size : int, default=256
        Training and prediction batch size.
    validation_fraction : float, default=0.2
        Held-out fraction for early stopping (stratified); 0 trains
        ``max_epochs`` epochs on everything.
    patience : int, default=10
        Epochs without improvement before stopping.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    random_state : int, RandomState instance or None, default=None
        Seeds the split, the initial weights and the batch order.
    verbose : int, default=0
        ``>= 1`` shows a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : skorch.NeuralNetClassifier
    scaler_ : StandardScaler
    device_ : str
    n_epochs_ : int
        Epochs trained (the best weights may come from an earlier one).
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_pid.nn import MLPPosterior
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> clf = MLPPosterior(random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "hidden_sizes": [tuple, list],
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
        hidden_sizes=(128,),
        max_epochs=200,
        lr=3e-3,
        weight_decay=1e-4,
        batch_size=256,
        validation_fraction=0.2,
        patience=10,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_sizes = hidden_sizes
        self.max_epochs = max_epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Standardise ``X`` and train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : MLPPosterior
        """
        self._validate_params()
        check_hidden_sizes("hidden_sizes", self.hidden_sizes)
        X, y = validate_data(self, X, y, dtype=np.float64, ensure_min_samples=2)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError("MLPPosterior needs at least 2 classes; y has one class.")
        self.device_ = resolve_device(self.device)
        self.scaler_ = Standardizer().fit(X)
        Z = self.scaler_.transform(X).astype(np.float32)
        widths = [X.shape[1], *self.hidden_sizes, self.classes_.size]
        self.net_ = fit_early_stopped(
            self,
            NeuralNetClassifier,
            MLP,
            Z,
            y_index.astype(np.int64),
            seed=draw_seed(self.random_state),
            flops=self.batch_size * sum(a * b for a, b in zip(widths, widths[1:])),
            module__n_in=X.shape[1],
            module__n_out=self.classes_.size,
            module__hidden_sizes=tuple(self.hidden_sizes),
            module__skip=True,
            criterion=torch.nn.CrossEntropyLoss,
            classes=np.arange(self.classes_.size),
            callbacks__valid_acc=None,  # early stopping reads valid_loss only
        )
        self.n_epochs_ = len(self.net_.history)
        return self

    def decision_function(self, X):
        """Logits, shape ``(n_samples, n_classes)`` (one column for 2 classes).

        For two classes, the log-odds of ``classes_[1]``, as in scikit-learn.
        """
        logits = self._logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_log_proba(self, X):
        """``log p(y | x)``, shape ``(n_samples, n_classes)``, exact in the tails."""
        return log_softmax(self._logits(X), axis=1)

    def predict_proba(self, X):
        """``p(y | x)``, shape ``(n_samples, n_classes)``; rows sum to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of each sample."""
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def _logits(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Z = self.scaler_.transform(X)
        return batched_forward(self.net_, Z, self.batch_size)


def fit_stacked(posteriors, inputs, y):
    """Fit several :class:`MLPPosterior` on the same samples as one stacked network.

    The networks (a :class:`StackedMLP`) are trained together, each on its
    own input, with the same validation split and batch order: one step
    costs about 1.5 times one small network's, instead of three times. Each
    is early-stopped and restored on its own validation loss
    (:class:`~sklearn_pid.nn._train.StackedEarlyStopping`), so each trains
    as :meth:`MLPPosterior.fit` would train it alone on that split and batch
    order from its initial weights (drawn in turn from the first seed; a
    stack of one is ``MLPPosterior.fit`` bit for bit).

    Parameters
    ----------
    posteriors : list of MLPPosterior
        Unfitted, with equal parameters: the first one's are used, its
        ``random_state`` seeding the initial weights, the validation split
        and the batch order as in :meth:`MLPPosterior.fit`.
    inputs : list of ndarray
        The input of each, of shape ``(n_samples, n_features_g)``.
    y : ndarray of int of shape (n_samples,)
        Class indices ``0 .. n_classes-1``, at least two classes.

    Returns
    -------
    list of MLPPosterior
        Fitted: each ``net_`` holds its own :class:`MLP`, and its history
        one row per epoch that network trained (``valid_loss``: its own).
    """
    first = posteriors[0]
    first._validate_params()
    check_hidden_sizes("hidden_sizes", first.hidden_sizes)
    Z = []
    for clf, X in zip(posteriors, inputs):
        X, y_checked = validate_data(clf, X, y, dtype=np.float64, ensure_min_samples=2)
        clf.classes_ = np.unique(y_checked)
        if not np.array_equal(clf.classes_, np.arange(clf.classes_.size)):
            raise ValueError("fit_stacked needs class indices 0 .. n_classes-1.")
        if clf.classes_.size < 2:
            raise ValueError("MLPPosterior needs at least 2 classes; y has one class.")
        clf.device_ = resolve_device(first.device)
        clf.scaler_ = Standardizer().fit(X)
        Z.append(clf.scaler_.transform(X).astype(np.float32))
    n_in = [z.shape[1] for z in Z]
    stacked = np.zeros((y.size, len(Z), max(n_in)), dtype=np.float32)
    for g, z in enumerate(Z):
        stacked[:, g, : z.shape[1]] = z
    n_classes = first.classes_.size
    widths = [max(n_in), *first.hidden_sizes, n_classes]
    net = fit_early_stopped(
        first,
        _StackNet,
        StackedMLP,
        stacked,
        np.asarray(y, dtype=np.int64),
        seed=draw_seed(first.random_state),
        # per network: its operations run one after the other, so the thread
        # choice (and the numbers) are those of the network alone
        flops=first.batch_size * sum(a * b for a, b in zip(widths, widths[1:])),
        n_nets=len(Z),
        module__n_in=n_in,
        module__n_out=n_classes,
        module__hidden_sizes=tuple(first.hidden_sizes),
        criterion=StackedCrossEntropy,
        optimizer__foreach=True,  # one update of all the weights (same numbers)
    )
    stopping = dict(net.callbacks_).get("early_stopping")
    for g, clf in enumerate(posteriors):
        clf.n_epochs_ = len(net.history)
        if stopping is not None:
            clf.n_epochs_ = min(
                clf.n_epochs_, int(stopping.best_epoch_[g]) + first.patience
            )
        clf.net_ = _single_net(net.module_.nets[g], clf, n_classes)
        clf.net_.history = History(
            [
                {"epoch": row["epoch"], "valid_loss": row["valid_losses"][g]}
                if "valid_losses" in row
                else {"epoch": row["epoch"]}
                for row in list(net.history)[: clf.n_epochs_]
            ]
        )
    return posteriors


def _single_net(mlp, clf, n_classes):
    """The fitted :class:`skorch.NeuralNetClassifier` of ``clf``, holding ``mlp``'s
    weights (built as :meth:`MLPPosterior.fit` builds it, so that it pickles
    and moves between devices in the same way)."""
    net = build_net(
        NeuralNetClassifier,
        MLP,
        device=clf.device_,
        module__n_in=mlp.layers[0].in_features,
        module__n_out=n_classes,
        module__hidden_sizes=tuple(clf.hidden_sizes),
        module__skip=True,
        criterion=torch.nn.CrossEntropyLoss,
        classes=np.arange(n_classes),
        batch_size=clf.batch_size,
        callbacks__valid_acc=None,
    ).initialize()
    net.module_.load_state_dict(mlp.state_dict())
    return net
