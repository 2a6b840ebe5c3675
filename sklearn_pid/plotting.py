"""Plots of decompositions (needs matplotlib: ``pip install "sklearn-pid[plot]"``).

Every function draws on a given matplotlib ``Axes`` (or creates a figure) and
returns what it drew on, so plots compose like pandas' and scikit-learn's.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._base import ATOMS

#: Colour of each atom, the same in every plot.
COLORS = {
    "redundancy": "tab:blue",
    "unique_1": "tab:orange",
    "unique_2": "tab:green",
    "synergy": "tab:red",
}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "sklearn_pid.plotting needs matplotlib: pip install matplotlib "
            '(or pip install "sklearn-pid[plot]").'
        ) from error
    return plt


def plot_decompositions(decompositions, ax=None, title=None):
    """Stacked bars of several decompositions (datasets, models, ...).

    Positive atoms stack upwards from 0 and negative ones (possible for
    per-sample estimators such as LSMI) downwards, so bar heights stay
    readable.

    Parameters
    ----------
    decompositions : DataFrame, Series or list of Series
        One row per bar, columns ``redundancy, unique_1, unique_2, synergy``
        (other columns are ignored); a Series is one bar, a list of Series is
        stacked into rows named by each Series' ``name``.
    ax : matplotlib Axes or None
        Where to draw; None creates a figure.
    title : str or None

    Returns
    -------
    matplotlib Axes
    """
    frame = _as_frame(decompositions)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(frame) + 4, 4), layout="constrained")
    positions = np.arange(len(frame))
    up = np.zeros(len(frame))
    down = np.zeros(len(frame))
    for atom in ATOMS:
        values = frame[atom].to_numpy(dtype=float)
        bottom = np.where(values >= 0, up, down)
        ax.bar(positions, values, bottom=bottom, color=COLORS[atom], label=atom)
        up += np.clip(values, 0, None)
        down += np.clip(values, None, 0)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(positions, [str(i) for i in frame.index])
    ax.set_ylabel("information")
    # outside the axes, right of the bars: "best" can cover a bar of the
    # same height as the others
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_interactions(interactions, by=None, axes=None):
    """Distributions of per-sample interactions, one panel per atom.

    Parameters
    ----------
    interactions : DataFrame of shape (n_samples, >= 4)
        From an estimator's ``interactions(X, y)`` (or ``transform`` with
        pandas output).
    by : array-like of shape (n_samples,) or None
        Groups (e.g. the labels ``y``): one box per group in each panel.
        None draws one box per atom's whole distribution.
    axes : array of 4 matplotlib Axes or None

    Returns
    -------
    ndarray of 4 matplotlib Axes
    """
    frame = _as_frame(interactions, per_sample=True)
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(14, 3.5), sharey=True)
    axes = np.asarray(axes).ravel()
    if axes.size != len(ATOMS):
        raise ValueError(f"axes must hold 4 Axes, got {axes.size}.")
    if by is not None and len(np.asarray(by)) != len(frame):
        raise ValueError(
            f"by has {len(np.asarray(by))} entries but interactions has "
            f"{len(frame)} rows."
        )
    groups = pd.Series(0 if by is None else np.asarray(by), index=frame.index)
    names = sorted(groups.unique(), key=str)
    for ax, atom in zip(axes, ATOMS):
        data = [frame.loc[groups == g, atom].to_numpy() for g in names]
        boxes = ax.boxplot(data, patch_artist=True, showfliers=False)
        for box in boxes["boxes"]:
            box.set_facecolor(COLORS[atom])
        ax.set_xticks(np.arange(1, len(names) + 1), [str(g) for g in names])
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_title(atom)
    return axes


def plot_tables(estimator, label=None, axes=None):
    """Heatmaps of a fitted PIDCVX's ``p(x1, x2)`` and optimal ``q*(x1, x2)``.

    ``q*`` has the same ``(x_m, y)`` marginals as ``p`` and the most
    conditional entropy of ``y``; where they differ is where the synergy is.

    Parameters
    ----------
    estimator : fitted PIDCVX
    label : class label or None
        Show ``p(x1, x2, y=label)`` and ``q*(x1, x2, y=label)``; None sums
        over the labels.
    axes : pair of matplotlib Axes or None

    Returns
    -------
    ndarray of 2 matplotlib Axes
    """
    check_is_fitted(estimator, ["p_", "q_"])
    if label is None:
        p, q, which = estimator.p_.sum(axis=2), estimator.q_.sum(axis=2), ""
    else:
        matches = np.flatnonzero(estimator.classes_ == label)
        if matches.size == 0:
            raise ValueError(
                f"label {label!r} is not among classes_ {estimator.classes_.tolist()}."
            )
        k = matches[0]
        p, q, which = estimator.p_[:, :, k], estimator.q_[:, :, k], f", y={label!r}"
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes = np.asarray(axes).ravel()
    vmax = max(p.max(), q.max())
    for ax, table, name in zip(axes, (p, q), ("p", "q*")):
        image = ax.imshow(table, origin="lower", cmap="viridis", vmin=0, vmax=vmax)
        ax.set_xlabel("state of x2")
        ax.set_ylabel("state of x1")
        ax.set_title(f"{name}(x1, x2{which})")
        ax.figure.colorbar(image, ax=ax)
    return axes


def _as_frame(values, per_sample=False):
    """A DataFrame with the four atom columns."""
    if isinstance(values, pd.Series):
        values = values.to_frame().T
    elif isinstance(values, (list, tuple)):
        values = pd.DataFrame(list(values))
    elif not isinstance(values, pd.DataFrame):
        values = pd.DataFrame(np.asarray(values, dtype=float), columns=list(ATOMS))
    missing = [a for a in ATOMS if a not in values.columns]
    if missing:
        raise ValueError(
            f"Missing columns {missing}: expected {list(ATOMS)}"
            + (" (from interactions())." if per_sample else ".")
        )
    return values
