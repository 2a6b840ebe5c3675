"""Plots of decompositions (needs matplotlib: ``pip install "sklearn-pid[plot]"``).

Every function draws on a given matplotlib ``Axes`` (or creates a figure) and
returns what it drew on, so plots compose like pandas' and scikit-learn's.
The figures they create are sized for one column of a paper (3.5 inches wide,
text of 7 points or more) and use constrained layout; every quantitative axis
names its unit (bits for ``base=2``, nats for ``base=e``).
"""

import math
import warnings

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

#: Width in inches of the figures created here: one column of a paper.
_COLUMN_WIDTH = 3.5

#: Font size (points) of tick labels, legends and notes in created figures.
_SMALL_FONT = 8


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "sklearn_pid.plotting needs matplotlib: pip install matplotlib "
            '(or pip install "sklearn-pid[plot]").'
        ) from error
    return plt


def _information_unit(base):
    """The name of the unit of information in logarithm ``base``.

    Parameters
    ----------
    base : float
        The ``base`` of an estimator.

    Returns
    -------
    str
        ``"bits"`` for 2, ``"nats"`` for e, ``"log base b units"`` otherwise.

    """
    base = float(base)
    if base == 2:
        return "bits"
    if math.isclose(base, math.e):
        return "nats"
    return f"log base {base:g} units"


def plot_decompositions(
    decompositions,
    ax=None,
    title=None,
    *,
    labels=None,
    intervals=None,
    stacked=None,
    base=None,
):
    """Bars of several decompositions (datasets, models, ...), one per entry.

    Without ``intervals`` the four atoms of a decomposition are stacked in
    one bar: positive atoms upwards from 0 and negative ones (possible for
    per-sample estimators such as LSMI) downwards, so bar heights stay
    readable. With ``intervals`` (e.g. bootstrap confidence intervals) the
    atoms are drawn as a group of four bars side by side, each from 0 and
    with its asymmetric error bar: in a stack an atom's segment starts
    where the uncertain atoms below it end, so an error bar on a segment
    would mix the uncertainty of the atoms below with its own.

    Parameters
    ----------
    decompositions : DataFrame, Series, fitted estimator, list or dict
        One row per bar, columns ``redundancy, unique_1, unique_2, synergy``
        (other columns are ignored), as in a DataFrame (bars named by its
        index); a Series (a ``decomposition_``) or a fitted estimator is one
        bar; a list of them is one bar each and a dict one bar per item,
        named by its key. Fitted estimators are named by their class name,
        Series by their ``name``. Bars that would share a name (the
        ``decomposition_`` of every information estimator is named
        ``"pid"``) are numbered ``"pid #1"``, ``"pid #2"``, ... with a
        warning; pass ``labels``, a dict or the estimators to name them.
    ax : matplotlib Axes or None
        Where to draw; None creates a figure one paper column wide.
    title : str or None
    labels : list of str or None
        The name of each bar, in order; overrides the names above.
    intervals : list, dict, object or None
        Confidence intervals of the atoms, drawn as error bars from ``low``
        to ``high``: a list with one entry per bar (None for a bar without),
        a dict by bar name, or for a single bar the entry itself. An entry
        is an object with ``confidence_interval.low`` and
        ``confidence_interval.high`` (the result of a bootstrap, with pandas
        Series indexed by atom or arrays in the order of the atoms), a
        DataFrame with columns (or rows) ``low`` and ``high`` by atom, or a
        pair ``(low, high)`` of such Series or arrays.
    stacked : bool or None
        Stack the atoms of a decomposition in one bar; None stacks them
        unless ``intervals`` is given. Stacked bars cannot show intervals.
    base : float or None
        The logarithm base of the values, for the unit on the y axis; None
        reads the ``base`` of the estimators given, else assumes 2 (bits,
        the default of every estimator).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.plotting import plot_decompositions
    >>> X, y = make_bitwise("and", 1000, random_state=0)
    >>> est = PIDCVX().fit(X, y)
    >>> ax = plot_decompositions({"AND gate": est})
    >>> ax.get_ylabel()
    'information (bits)'
    """
    frame, bases = _decomposition_frame(decompositions, labels)
    if base is None:
        base = _common_base(bases)
    entries = _align_intervals(intervals, frame.index)
    if stacked is None:
        stacked = entries is None
    if stacked and entries is not None:
        raise ValueError(
            "Stacked bars cannot show intervals (an atom's segment starts "
            "where the uncertain atoms below it end); use stacked=False or None."
        )
    plt = _pyplot()
    if ax is None:
        width = max(_COLUMN_WIDTH, 1.6 + (0.55 if stacked else 0.75) * len(frame))
        _, ax = plt.subplots(figsize=(width, 2.4), layout="constrained")
    positions = np.arange(len(frame), dtype=float)
    if stacked:
        _stacked_bars(ax, frame, positions)
    else:
        _grouped_bars(ax, frame, positions, entries)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(positions, [str(i) for i in frame.index])
    ax.tick_params(labelsize=_SMALL_FONT)
    ax.set_xlim(-0.6, len(frame) - 0.4)
    ax.set_ylabel(f"information ({_information_unit(base)})")
    # outside the axes, right of the bars: "best" can cover a bar of the
    # same height as the others
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=_SMALL_FONT,
        frameon=False,
        handlelength=1.0,
        borderaxespad=0.2,
    )
    if title is not None:
        ax.set_title(title)
    if _crowded(ax):  # slant the bar names, on one line each
        ax.set_xticks(
            positions,
            [" ".join(str(i).split()) for i in frame.index],
            rotation=30,
            horizontalalignment="right",
            rotation_mode="anchor",
        )
    return ax


def _stacked_bars(ax, frame, positions):
    up = np.zeros(len(frame))
    down = np.zeros(len(frame))
    for atom in ATOMS:
        values = frame[atom].to_numpy(dtype=float)
        bottom = np.where(values >= 0, up, down)
        ax.bar(
            positions, values, bottom=bottom, width=0.7, color=COLORS[atom], label=atom
        )
        up += np.clip(values, 0, None)
        down += np.clip(values, None, 0)


def _grouped_bars(ax, frame, positions, entries):
    width = 0.8 / len(ATOMS)
    offsets = (np.arange(len(ATOMS)) - (len(ATOMS) - 1) / 2) * width
    for k, atom in enumerate(ATOMS):
        values = frame[atom].to_numpy(dtype=float)
        ax.bar(
            positions + offsets[k], values, width=width, color=COLORS[atom], label=atom
        )
    if entries is None:
        return
    low = np.full((len(frame), len(ATOMS)), np.nan)
    high = np.full((len(frame), len(ATOMS)), np.nan)
    for row, entry in enumerate(entries):
        if entry is not None:
            low[row], high[row] = _interval_bounds(entry)
    for k in range(len(ATOMS)):
        shown = ~(np.isnan(low[:, k]) | np.isnan(high[:, k]))
        if not shown.any():
            continue
        lo, hi = low[shown, k], high[shown, k]
        # drawn around the middle of [low, high], so the bar shows exactly
        # the interval even where it does not contain the estimate
        ax.errorbar(
            positions[shown] + offsets[k],
            (lo + hi) / 2,
            yerr=(hi - lo) / 2,
            fmt="none",
            ecolor="black",
            elinewidth=0.8,
            capsize=1.5,
            capthick=0.8,
        )


def _decomposition_frame(decompositions, labels):
    """One row per bar (atom columns), with unique names, and known bases."""
    if isinstance(decompositions, pd.DataFrame):
        frame, bases = decompositions, []
    elif isinstance(decompositions, np.ndarray):
        frame, bases = _as_frame(np.atleast_2d(decompositions)), []
    else:
        if isinstance(decompositions, dict):
            items = list(decompositions.items())
        elif isinstance(decompositions, (list, tuple)):
            items = [(None, d) for d in decompositions]
        else:
            items = [(None, decompositions)]
        rows, names, bases = [], [], []
        for position, (key, entry) in enumerate(items):
            if hasattr(entry, "decomposition_"):
                bases.append(getattr(entry, "base", None))
                name = type(entry).__name__
                entry = entry.decomposition_
            elif isinstance(entry, (pd.Series, dict)):
                entry = pd.Series(entry)
                name = entry.name
            else:
                raise TypeError(
                    "A decomposition must be a pandas Series (an estimator's "
                    "decomposition_), a fitted estimator or a DataFrame row; got "
                    f"{type(entry).__name__}."
                )
            rows.append(entry)
            if key is not None:
                name = key
            elif name is None:  # an unnamed Series: its position
                name = "" if len(items) == 1 else position
            names.append(name)
        frame = pd.DataFrame([pd.Series(r) for r in rows])
        frame.index = names
    missing = [a for a in ATOMS if a not in frame.columns]
    if missing:
        raise ValueError(f"Missing columns {missing}: expected {list(ATOMS)}.")
    frame = frame[list(ATOMS)].astype(float)
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(frame):
            raise ValueError(
                f"labels has {len(labels)} entries for {len(frame)} decompositions."
            )
        frame.index = labels
    names = [str(n) for n in frame.index]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        seen = dict.fromkeys(repeated, 0)
        for i, n in enumerate(names):
            if n in seen:
                seen[n] += 1
                names[i] = f"{n} #{seen[n]}"
        warnings.warn(
            f"Several decompositions are named {', '.join(map(repr, repeated))}; "
            "their bars are numbered (#1, #2, ...). Name them with labels=, a "
            "dict or by passing the fitted estimators.",
            UserWarning,
            stacklevel=3,
        )
        frame.index = names
    return frame, bases


def _common_base(bases):
    known = {float(b) for b in bases if b is not None}
    if len(known) > 1:
        raise ValueError(
            f"The estimators use different bases {sorted(known)}; their "
            "decompositions are in different units. Refit them with one base."
        )
    return known.pop() if known else 2


def _align_intervals(intervals, names):
    """One interval entry (or None) per bar, or None without intervals."""
    if intervals is None:
        return None
    if isinstance(intervals, dict):
        unknown = [k for k in intervals if k not in list(names)]
        if unknown:
            raise ValueError(
                f"intervals has entries {unknown} that name no bar; the bars are "
                f"{list(names)}."
            )
        return [intervals.get(n) for n in names]
    if isinstance(intervals, list):
        if len(intervals) != len(names):
            raise ValueError(
                f"intervals has {len(intervals)} entries for {len(names)} bars."
            )
        return intervals
    if len(names) != 1:
        raise ValueError(
            f"Give a list or a dict of intervals for the {len(names)} bars."
        )
    return [intervals]


def _interval_bounds(entry):
    """``(low, high)``: two arrays of the atoms' bounds (NaN: not given)."""
    if hasattr(entry, "confidence_interval"):
        ci = entry.confidence_interval
        low, high = ci.low, ci.high
    elif isinstance(entry, pd.DataFrame):
        frame = entry if "low" in entry.columns else entry.T
        if not {"low", "high"} <= set(frame.columns):
            raise ValueError(
                "An interval DataFrame needs columns (or rows) 'low' and 'high'."
            )
        low, high = frame["low"], frame["high"]
    elif isinstance(entry, (tuple, list)) and len(entry) == 2:
        low, high = entry
    else:
        raise TypeError(
            "An interval must have confidence_interval.low/.high, be a DataFrame "
            f"with 'low' and 'high', or a (low, high) pair; got {type(entry).__name__}."
        )
    return _by_atom(low), _by_atom(high)


def _by_atom(values):
    if isinstance(values, pd.Series):
        return values.reindex(list(ATOMS)).to_numpy(dtype=float)
    values = np.asarray(values, dtype=float).ravel()
    if values.size != len(ATOMS):
        raise ValueError(
            f"An interval bound has {values.size} values; expected one per atom "
            f"{list(ATOMS)} (or a Series indexed by atom)."
        )
    return values


def plot_interactions(
    interactions,
    by=None,
    axes=None,
    *,
    base=2,
    sharey=False,
    showfliers=True,
    xlabel=None,
):
    """Distributions of per-sample interactions, one panel per atom.

    Each box spans the quartiles, with the median as a black line; the
    whiskers reach the furthest values within 1.5 interquartile ranges of
    the box, and the values beyond (outliers) are small grey dots, or are
    left out (``showfliers=False``, said in the x labels).

    Parameters
    ----------
    interactions : DataFrame of shape (n_samples, >= 4)
        From an estimator's ``interactions(X, y)`` (or ``transform`` with
        pandas output).
    by : array-like of shape (n_samples,) or None
        Groups (e.g. the labels ``y``): one box per group in each panel.
        None draws one box per atom's whole distribution.
    axes : array of 4 matplotlib Axes or None
        Where to draw; None creates a 2 x 2 grid one paper column wide.
    base : float, default=2
        The ``base`` of the estimator, for the unit on the y axes.
    sharey : bool, default=False
        One y range for the four panels. By default each atom has its own, so
        small atoms are not flattened by large ones.
    showfliers : bool, default=True
        Draw the outliers.
    xlabel : str or None
        The x label of each panel; None uses the name of ``by`` (a pandas
        Series) or ``"group"``, and nothing when ``by`` is None.

    Returns
    -------
    ndarray of 4 matplotlib Axes
        In the order ``redundancy, unique_1, unique_2, synergy``; each
        titled by its atom.

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.plotting import plot_interactions
    >>> X, y = make_bitwise("and", 1000, random_state=0)
    >>> est = PIDCVX().fit(X, y)
    >>> axes = plot_interactions(est.interactions(X, y), by=y, xlabel="y")
    >>> [ax.get_title() for ax in axes]
    ['redundancy', 'unique_1', 'unique_2', 'synergy']
    """
    frame = _as_frame(interactions, per_sample=True)
    plt = _pyplot()
    created = axes is None
    if created:
        _, axes = plt.subplots(
            2, 2, figsize=(_COLUMN_WIDTH, 3.0), layout="constrained", sharex=True
        )
    axes = np.asarray(axes).ravel()
    if axes.size != len(ATOMS):
        raise ValueError(f"axes must hold 4 Axes, got {axes.size}.")
    if by is not None and len(np.asarray(by)) != len(frame):
        raise ValueError(
            f"by has {len(np.asarray(by))} entries but interactions has "
            f"{len(frame)} rows."
        )
    if xlabel is None and by is not None:
        xlabel = getattr(by, "name", None) or "group"
    if not showfliers:
        xlabel = (
            "outliers not shown" if xlabel is None else f"{xlabel}; outliers not shown"
        )
    groups = pd.Series(0 if by is None else np.asarray(by), index=frame.index)
    names = sorted(groups.unique(), key=_sort_key)
    unit = _information_unit(base)
    for ax, atom in zip(axes, ATOMS):
        data = [frame.loc[groups == g, atom].to_numpy() for g in names]
        boxes = ax.boxplot(
            data,
            patch_artist=True,
            showfliers=showfliers,
            widths=0.6,
            medianprops={"color": "black", "linewidth": 1.2},
            boxprops={"linewidth": 0.6},
            whiskerprops={"linewidth": 0.6},
            capprops={"linewidth": 0.6},
            flierprops={
                "marker": ".",
                "markersize": 2,
                "markerfacecolor": "0.4",
                "markeredgecolor": "none",
                "alpha": 0.6,
            },
        )
        for box in boxes["boxes"]:
            box.set_facecolor(COLORS[atom])
        positions = np.arange(1, len(names) + 1)
        if by is None:
            ax.set_xticks(positions, [""] * len(names))
            ax.tick_params(axis="x", length=0)
        else:
            ax.set_xticks(positions, [str(g) for g in names])
        ax.set_xlim(0.4, len(names) + 0.6)
        ax.axhline(0, color="black", linewidth=0.5, zorder=0)
        ax.set_title(atom, fontsize="medium")
        ax.set_ylabel(unit)
        ax.tick_params(labelsize=_SMALL_FONT)
        if xlabel is not None and not created:
            ax.set_xlabel(xlabel, fontsize=_SMALL_FONT)
    if xlabel is not None and created:  # once for the grid, below it
        axes[0].figure.supxlabel(xlabel, fontsize=_SMALL_FONT)
    if sharey:
        lows, highs = zip(*(ax.get_ylim() for ax in axes))
        for ax in axes:
            ax.set_ylim(min(lows), max(highs))
    return axes


def plot_tables(estimator, label=None, axes=None, *, annotate=None):
    """Heatmaps of a fitted PIDCVX's ``p(x1, x2)`` and optimal ``q*(x1, x2)``.

    ``q*`` has the same ``(x_m, y)`` marginals as ``p`` and the most
    conditional entropy of ``y``; where they differ is where the synergy is.

    The states of each modality are shown by value, in sorted order (not in
    the order of first appearance of ``discretizers_[m].states_``): the
    values themselves for ``discretizer="discrete"`` (tuples for several
    columns); for ``"uniform"`` and ``"quantile"`` bins of one column, ticks
    at the edges between bins (the bins of several columns are tuples of bin
    numbers); the cluster number for ``"kmeans"`` and clusterers; the code
    for other discretizers. One colour bar (probability) serves both panels.

    Parameters
    ----------
    estimator : fitted PIDCVX
    label : class label or None
        Show ``p(x1, x2, y=label)`` and ``q*(x1, x2, y=label)``; None sums
        over the labels.
    axes : pair of matplotlib Axes or None
        Where to draw; None creates them side by side, one paper column wide.
    annotate : bool or None
        Write each cell's probability in it; None does so for tables of at
        most 5 x 5 states.

    Returns
    -------
    ndarray of 2 matplotlib Axes
        The tables are drawn with ``x1`` on the y axis (upwards) and ``x2``
        on the x axis, in the sorted order of the states.

    Examples
    --------
    >>> from sklearn_pid import PIDCVX
    >>> from sklearn_pid.datasets import make_bitwise
    >>> from sklearn_pid.plotting import plot_tables
    >>> X, y = make_bitwise("and", 1000, random_state=0)
    >>> est = PIDCVX(discretizer="discrete").fit(X, y)
    >>> axes = plot_tables(est, label=1)
    >>> [t.get_text() for t in axes[0].get_xticklabels()]
    ['0', '1']
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
    (order1, ticks1, name1), (order2, ticks2, name2) = (
        _state_labels(estimator, m, n) for m, n in enumerate(p.shape)
    )
    p, q = p[np.ix_(order1, order2)], q[np.ix_(order1, order2)]
    if annotate is None:
        annotate = max(p.shape) <= 5
    plt = _pyplot()
    created = axes is None
    if created:
        _, axes = plt.subplots(
            1, 2, figsize=(_COLUMN_WIDTH, 2.0), layout="constrained", sharey=True
        )
    axes = np.asarray(axes).ravel()
    vmax = max(p.max(), q.max())
    for i, (ax, table, name) in enumerate(zip(axes, (p, q), ("p", "q*"))):
        image = ax.imshow(
            table, origin="lower", cmap="viridis", vmin=0, vmax=vmax, aspect="auto"
        )
        _set_state_ticks(ax.xaxis, *ticks2, most=10)
        _set_state_ticks(ax.yaxis, *ticks1, most=15)
        ax.tick_params(labelsize=_SMALL_FONT, length=2)
        ax.set_xlabel(name2, fontsize=_SMALL_FONT)
        if i == 0 or not created:
            ax.set_ylabel(name1, fontsize=_SMALL_FONT)
        else:
            ax.tick_params(axis="y", labelleft=False)
        ax.set_title(f"{name}(x1, x2{which})", fontsize="medium")
        if annotate:
            for (r, c), value in np.ndenumerate(table):
                ax.text(
                    c,
                    r,
                    f"{value:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="black" if value > 0.6 * vmax else "white",
                )
    colorbar = axes[0].figure.colorbar(image, ax=list(axes), fraction=0.06, pad=0.03)
    colorbar.set_label("probability", fontsize=_SMALL_FONT)
    colorbar.ax.tick_params(labelsize=_SMALL_FONT)
    for ax in axes:
        if _crowded(ax):
            for text in ax.get_xticklabels():
                text.set_rotation(90)
    return axes


def plot_pairwise(decompositions, axes=None, *, base=None, annotate=None):
    """Heatmaps of the pairwise decompositions of three or more modalities.

    One panel per atom, modalities on both axes: the redundancy and the
    synergy of the pair (symmetric), and the unique information of the row's
    modality beside the column's (``unique_1`` of the pair (row, column),
    ``unique_2`` of (column, row)). The diagonal is blank. The rows against
    "the rest" are not drawn (read them in ``decompositions_``). One colour
    bar serves the three panels, in the estimator's unit.

    Parameters
    ----------
    decompositions : fitted estimator or pandas.DataFrame
        An estimator fitted on three or more modalities (its
        ``decompositions_``), or a table with its columns ``source_1,
        source_2, redundancy, unique_1, unique_2, synergy``.
    axes : sequence of 3 matplotlib Axes or None
        Where to draw; None creates a row of three.
    base : float or None
        The unit of a table (default 2, bits); an estimator's own ``base`` is
        used otherwise.
    annotate : bool or None
        Write each value in its cell; None does so for at most 5 modalities.

    Returns
    -------
    ndarray of 3 matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_pid.plotting import plot_pairwise
    >>> table = pd.DataFrame({"source_1": ["a", "a", "b"],
    ...                       "source_2": ["b", "c", "c"],
    ...                       "redundancy": [0.2, 0.1, 0.0],
    ...                       "unique_1": [0.1, 0.2, 0.3],
    ...                       "unique_2": [0.0, 0.0, 0.1],
    ...                       "synergy": [0.5, 0.0, 0.0]})
    >>> axes = plot_pairwise(table)
    >>> axes[2].get_title()
    'synergy'
    """
    if isinstance(decompositions, pd.DataFrame):
        frame, base = decompositions, 2 if base is None else base
    else:
        check_is_fitted(decompositions)
        if not hasattr(decompositions, "decompositions_"):
            raise ValueError(
                f"This {type(decompositions).__name__} was fitted on two "
                "modalities; plot_pairwise needs three or more (decompositions_). "
                "Plot two with plot_decompositions."
            )
        frame, base = decompositions.decompositions_, decompositions.base
    frame = frame[frame["source_2"] != "rest"]
    names = list(dict.fromkeys([*frame["source_1"], *frame["source_2"]]))
    position = {name: k for k, name in enumerate(names)}
    panels = {
        name: np.full((len(names),) * 2, np.nan)
        for name in ("redundancy", "unique", "synergy")
    }
    for row in frame.itertuples(index=False):
        i, j = position[row.source_1], position[row.source_2]
        for atom in ("redundancy", "synergy"):
            panels[atom][i, j] = panels[atom][j, i] = getattr(row, atom)
        panels["unique"][i, j], panels["unique"][j, i] = row.unique_1, row.unique_2
    values = np.concatenate([m[np.isfinite(m)] for m in panels.values()])
    low, high = min(values.min(), 0.0), max(values.max(), 1e-12)
    if low < 0:  # pointwise atoms (LSMI) can be negative: centre the colours
        high = max(high, -low)
        low, cmap = -high, "RdBu_r"
    else:
        cmap = "viridis"
    if annotate is None:
        annotate = len(names) <= 5
    plt = _pyplot()
    if axes is None:
        _, axes = plt.subplots(
            1, 3, figsize=(_COLUMN_WIDTH, 1.7), layout="constrained", sharey=True
        )
    axes = np.asarray(axes).ravel()
    ticks = np.arange(len(names))
    for k, (ax, (atom, matrix)) in enumerate(zip(axes, panels.items())):
        image = ax.imshow(matrix, cmap=cmap, vmin=low, vmax=high)
        ax.set_xticks(ticks, names, fontsize=_SMALL_FONT, rotation=90)
        ax.set_yticks(ticks, names, fontsize=_SMALL_FONT)
        ax.tick_params(length=2, labelleft=k == 0)
        ax.set_title(atom, fontsize=_SMALL_FONT)
        if annotate:
            for (r, c), value in np.ndenumerate(matrix):
                if np.isfinite(value):
                    light = (
                        image.norm(value) < 0.6
                        if cmap == "viridis"
                        else abs(value) > 0.6 * high
                    )
                    ax.text(
                        c,
                        r,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if light else "black",
                    )
    axes[0].set_ylabel("modality (row)", fontsize=_SMALL_FONT)
    colorbar = axes[0].figure.colorbar(image, ax=list(axes), fraction=0.05, pad=0.02)
    colorbar.set_label(_information_unit(base), fontsize=_SMALL_FONT)
    colorbar.ax.tick_params(labelsize=_SMALL_FONT)
    return axes


def _set_state_ticks(axis, positions, labels, most):
    """Ticks at ``positions`` labelled ``labels``, at most ``most`` labelled."""
    step = max(1, math.ceil(len(labels) / most))
    axis.set_ticks(positions[::step], labels[::step])
    axis.set_ticks([], minor=True)


def _state_labels(estimator, m, n_states):
    """Sorting order, tick ``(positions, labels)`` and axis label of modality m.

    The states in sorted order: their values, the edges between bins, or
    cluster numbers, as described in :func:`plot_tables`.
    """
    name = f"x{m + 1}"
    cells = np.arange(n_states)
    discretizers = getattr(estimator, "discretizers_", None)
    if discretizers is None or len(discretizers[m].states_) != n_states:
        return cells, (cells, [str(i) for i in cells]), f"{name} state"
    disc = discretizers[m]
    states = disc.states_
    order = _sorted_order(states)
    values = [states[i] for i in order]
    labels = [_value_label(v) for v in values]
    method = str(disc.method_)
    if method.startswith(("uniform", "quantile")):
        edges = disc.edges_
        if len(edges) > 1:  # several columns: a bin number per column
            return order, (cells, labels), f"{name} bins per column"
        edges = edges[0]
        if values == list(range(len(edges) + 1)):  # every bin: ticks at edges
            ticks = [f"{e:.2g}" for e in edges]
            return order, (cells[:-1] + 0.5, ticks), f"{name} (bin edges)"
        ticks = [_interval(edges, int(v)) for v in values]
        return order, (cells, ticks), f"{name} bin"
    if method.startswith("kmeans") or hasattr(getattr(disc, "model_", None), "predict"):
        return order, (cells, labels), f"{name} cluster"
    if method == "discrete":
        return order, (cells, labels), name
    return order, (cells, labels), f"{name} code"


def _crowded(ax):
    """Whether the x tick labels are wider than the space between ticks."""
    labels = [t for t in ax.get_xticklabels() if t.get_text()]
    ticks = ax.get_xticks()
    if len(labels) < 2 or len(ticks) < 2:
        return False
    figure = ax.figure
    try:
        renderer = figure.canvas.get_renderer()
        figure.draw_without_rendering()  # lays out the figure
    except AttributeError:  # pragma: no cover - a backend without renderer
        return False
    widths = np.array([t.get_window_extent(renderer).width for t in labels])
    x = ax.transData.transform([(ticks[0], 0), (ticks[1], 0)])[:, 0]
    # neighbours overlap when their half-widths add up to more than the
    # spacing; constrained layout may still narrow the axes a little
    return ((widths[1:] + widths[:-1]) / 2).max() > 0.9 * abs(x[1] - x[0])


def _sorted_order(states):
    """Positions of ``states`` (a pandas Index) in their sorted order."""
    try:
        return np.asarray(states.argsort(), dtype=int)
    except TypeError:  # values of mixed types: sort by their text
        keys = [str(v) for v in states]
        return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=int)


def _sort_key(value):
    """Sort numbers as numbers, then anything else by its text."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _value_label(value):
    """A state's value as text: numbers short, tuples in parentheses."""
    if isinstance(value, tuple):
        return "(" + ", ".join(_value_label(v) for v in value) + ")"
    if isinstance(value, np.generic):
        value = value.item()
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _interval(edges, k):
    """The bin ``k`` of inner ``edges`` (``searchsorted(side="right")``)."""
    if len(edges) == 0:
        return "all"
    if k == 0:
        return f"< {edges[0]:.3g}"
    if k >= len(edges):
        return f"\u2265 {edges[-1]:.3g}"
    return f"[{edges[k - 1]:.3g}, {edges[k]:.3g})"


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
