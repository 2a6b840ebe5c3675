"""Tests of sklearn_pid.plotting with matplotlib's Agg backend."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402

from sklearn_pid import PIDCVX  # noqa: E402
from sklearn_pid.datasets import make_bitwise  # noqa: E402
from sklearn_pid.plotting import (  # noqa: E402
    plot_decompositions,
    plot_interactions,
    plot_pairwise,
    plot_tables,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def and_fit():
    X, y = make_bitwise("and", 2000, random_state=0)
    return PIDCVX(discretizer="discrete").fit(X, y), X, y


def test_stacked_bars_one_per_decomposition_and_atom(and_fit):
    est = and_fit[0]
    frame = pd.DataFrame(
        [est.decomposition_, pd.Series([0.2, -0.1, 0.3, 0.1], index=ATOMS)],
        index=["AND", "model"],
    )
    ax = plot_decompositions(frame, title="two")
    assert len(ax.containers) == 4  # one BarContainer per atom
    assert all(len(c.patches) == 2 for c in ax.containers)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["AND", "model"]
    assert ax.get_title() == "two"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ATOMS
    # The legend sits right of the axes, where it cannot cover a bar.
    ax.figure.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1 - 1
    # The negative unique_1 of "model" hangs below zero.
    bar = ax.containers[1].patches[1]
    assert bar.get_y() == pytest.approx(0.0) and bar.get_height() == pytest.approx(-0.1)
    # Positive atoms stack: synergy of "model" starts at 0.2 + 0.3.
    assert ax.containers[3].patches[1].get_y() == pytest.approx(0.5)


def test_series_and_list_inputs(and_fit):
    est = and_fit[0]
    assert len(plot_decompositions(est.decomposition_).containers[0].patches) == 1
    two = [est.decomposition_.rename("a"), est.decomposition_.rename("b")]
    ax = plot_decompositions(two)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    with pytest.raises(ValueError, match="Missing columns"):
        plot_decompositions(pd.DataFrame({"redundancy": [1.0]}))


def test_per_sample_boxes_by_class(and_fit):
    est, X, y = and_fit
    axes = plot_interactions(est.interactions(X, y), by=y)
    assert [ax.get_title() for ax in axes] == ATOMS
    for ax in axes:
        assert len(ax.patches) == 2  # one box per class
    axes = plot_interactions(est.interactions(X, y))
    assert all(len(ax.patches) == 1 for ax in axes)
    with pytest.raises(ValueError, match="by has 3 entries"):
        plot_interactions(est.interactions(X, y), by=[0, 1, 0])


def test_heatmaps_of_p_and_q(and_fit):
    est = and_fit[0]
    # the tables are drawn with the states sorted by value
    order = [np.argsort(d.states_.to_numpy()) for d in est.discretizers_]
    cells = np.ix_(*order)
    axes = plot_tables(est)
    assert [ax.get_title() for ax in axes] == ["p(x1, x2)", "q*(x1, x2)"]
    np.testing.assert_allclose(axes[0].images[0].get_array(), est.p_.sum(axis=2)[cells])
    np.testing.assert_allclose(axes[1].images[0].get_array(), est.q_.sum(axis=2)[cells])
    axes = plot_tables(est, label=1)
    assert axes[0].get_title() == "p(x1, x2, y=1)"
    np.testing.assert_allclose(axes[1].images[0].get_array(), est.q_[:, :, 1][cells])
    with pytest.raises(ValueError, match="not among classes_"):
        plot_tables(est, label=7)


def test_figures_render_to_png(and_fit, tmp_path):
    est = and_fit[0]
    ax = plot_decompositions(est.decomposition_)
    path = tmp_path / "bars.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------- paper-ready plots


def _texts(fig):
    """The non-empty texts drawn in a laid-out figure (tick labels in view)."""
    fig.canvas.draw()
    texts = [fig._supxlabel, fig._supylabel, fig._suptitle, *fig.texts]
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        for axis, (low, high) in (
            (ax.xaxis, sorted(ax.get_xlim())),
            (ax.yaxis, sorted(ax.get_ylim())),
        ):
            texts.append(axis.label)
            texts += [
                tick.label1
                for tick in axis.get_major_ticks()
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9
            ]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    drawn = [t for t in texts if t is not None and t.get_visible()]
    return list({id(t): t for t in drawn if t.get_text().strip()}.values())


def _assert_paper_ready(fig, width=3.5):
    """One column wide, text of 7 points or more, no two texts overlapping."""
    assert fig.get_figwidth() == pytest.approx(width)
    renderer = fig.canvas.get_renderer()
    texts = _texts(fig)
    assert min(t.get_fontsize() for t in texts) >= 7
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i, a in enumerate(boxes):
        assert fig.bbox.contains(a.x0 + 1, a.y0 + 1), texts[i].get_text()
        assert fig.bbox.contains(a.x1 - 1, a.y1 - 1), texts[i].get_text()
        for j in range(i):
            if texts[i].get_rotation() % 90 and texts[j].get_rotation() % 90:
                continue  # slanted: their boxes overlap, not their lines
            assert not a.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())


def _interval(low, high):
    """A stand-in for a bootstrap result: ``confidence_interval.low/.high``."""
    ci = SimpleNamespace(
        low=pd.Series(low, index=ATOMS), high=pd.Series(high, index=ATOMS)
    )
    return SimpleNamespace(confidence_interval=ci)


def test_decomposition_bars_are_named_without_repeats(and_fit):
    est = and_fit[0]
    other = PIDCVX(discretizer="discrete", base=2).fit(*and_fit[1:])
    with pytest.warns(UserWarning, match="named 'pid'.*numbered"):
        ax = plot_decompositions([est.decomposition_, other.decomposition_])
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert names == ["pid #1", "pid #2"]
    # estimators are named by their class, dicts by their keys, or labels=
    ax = plot_decompositions({"AND": est, "again": other.decomposition_})
    assert [t.get_text() for t in ax.get_xticklabels()] == ["AND", "again"]
    ax = plot_decompositions([est.decomposition_] * 2, labels=["train", "test"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["train", "test"]
    ax = plot_decompositions(est)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["PIDCVX"]
    with pytest.raises(ValueError, match="labels has 1 entries for 2"):
        plot_decompositions([est, other], labels=["one"])
    _assert_paper_ready(ax.figure)
    # many long names: a wider figure, names slanted on one line, no overlap
    names = [f"model\nnumber {k}" for k in range(8)]
    ax = plot_decompositions([est.decomposition_] * 8, labels=names)
    assert ax.get_xticklabels()[0].get_text() == "model number 0"
    assert ax.get_xticklabels()[0].get_rotation() == 30
    _assert_paper_ready(ax.figure, width=ax.figure.get_figwidth())
    # parallel slanted lines: their distance (spacing x sin 30) exceeds a line
    renderer = ax.figure.canvas.get_renderer()
    x = ax.transData.transform([(0, 0), (1, 0)])[:, 0]
    height = renderer.points_to_pixels(ax.get_xticklabels()[0].get_fontsize())
    assert (x[1] - x[0]) * 0.5 > 1.2 * height


def test_units_on_every_quantitative_axis(and_fit):
    est, X, y = and_fit
    assert plot_decompositions(est.decomposition_).get_ylabel() == (
        "information (bits)"
    )
    nats = PIDCVX(discretizer="discrete", base=np.e).fit(X, y)
    assert plot_decompositions([nats]).get_ylabel() == "information (nats)"
    ax = plot_decompositions(est.decomposition_, base=10)
    assert ax.get_ylabel() == "information (log base 10 units)"
    with pytest.raises(ValueError, match="different bases"):
        plot_decompositions({"bits": est, "nats": nats})
    for ax in plot_interactions(nats.interactions(X, y), by=y, base=np.e):
        assert ax.get_ylabel() == "nats"
    axes = plot_tables(est)
    colorbar = axes[0].figure.axes[-1]
    assert colorbar.get_ylabel() == "probability"


def test_intervals_draw_grouped_bars_with_error_bars(and_fit):
    est = and_fit[0]
    values = est.decomposition_.to_numpy()
    low, high = values - [0.01, 0.0, 0.0, 0.05], values + [0.02, 0.01, 0.01, 0.03]
    frame = pd.DataFrame({"low": low, "high": high}, index=ATOMS)
    ax = plot_decompositions(
        {"boot": est, "pair": est.decomposition_, "none": est},
        intervals={"boot": _interval(low, high), "pair": frame},
    )
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    errors = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 4 and all(len(c.patches) == 3 for c in bars)
    # grouped, not stacked: every bar starts at 0, side by side
    assert all(p.get_y() == 0 for c in bars for p in c.patches)
    assert len({p.get_x() for c in bars for p in c.patches}) == 12
    assert len(errors) == 4  # one per atom, over the two bars with intervals
    synergy = errors[3].lines[2][0].get_segments()
    assert len(synergy) == 2
    for segment in synergy:
        np.testing.assert_allclose(sorted(segment[:, 1]), [low[3], high[3]])
    # the error bar of an atom is over the bar of that atom
    centre = bars[3].patches[0].get_x() + bars[3].patches[0].get_width() / 2
    assert synergy[0][0, 0] == pytest.approx(centre)
    # a single decomposition takes its interval directly; arrays by atom order
    ax = plot_decompositions(est, intervals=(low, high))
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 4
    _assert_paper_ready(ax.figure)
    with pytest.raises(ValueError, match="Stacked bars cannot show intervals"):
        plot_decompositions(est, intervals=(low, high), stacked=True)
    with pytest.raises(ValueError, match="name no bar"):
        plot_decompositions({"a": est}, intervals={"b": frame})
    with pytest.raises(ValueError, match="3 entries for 1 bars"):
        plot_decompositions(est, intervals=[frame, frame, frame])


def test_intervals_of_a_real_bootstrap_are_the_error_bars(and_fit):
    from sklearn_pid.inference import bootstrap

    est, X, y = and_fit
    X_xor, y_xor = make_bitwise("xor", 2000, random_state=1)
    template = PIDCVX(discretizer="discrete")
    results = {
        "AND": bootstrap(template, X, y, n_resamples=20, random_state=0),
        "XOR": bootstrap(template, X_xor, y_xor, n_resamples=20, random_state=0),
    }
    fits = {"AND": est, "XOR": PIDCVX(discretizer="discrete").fit(X_xor, y_xor)}
    ax = plot_decompositions(fits, intervals=results)
    errors = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(errors) == 4  # one per atom, over both bars
    for atom, container in zip(ATOMS, errors):
        segments = container.lines[2][0].get_segments()
        assert len(segments) == 2  # AND, XOR
        for segment, name in zip(segments, fits):
            ci = results[name].confidence_interval  # also has mi_1, ...
            np.testing.assert_allclose(
                sorted(segment[:, 1]), [ci.low[atom], ci.high[atom]]
            )
    _assert_paper_ready(ax.figure)


def test_interaction_panels_have_own_axes_units_and_visible_medians(and_fit):
    est, X, y = and_fit
    values = est.interactions(X, y)
    axes = plot_interactions(values, by=pd.Series(y, name="label"))
    fig = axes[0].figure
    assert [ax.get_title() for ax in axes] == ATOMS
    assert all(ax.get_ylabel() == "bits" for ax in axes)
    assert fig.get_supxlabel() == "label"
    # each atom its own y range: the small atoms are not flattened
    assert not any(axes[0].get_shared_y_axes().joined(axes[0], a) for a in axes[1:])
    # each panel spans its own atom's values (U1 and U2 of the AND gate have
    # the same range by symmetry, so their limits may coincide)
    for ax, atom in zip(axes, ATOMS):
        low, high = ax.get_ylim()
        assert low <= values[atom].min() and values[atom].max() <= high
    assert len({axes[0].get_ylim(), axes[1].get_ylim(), axes[3].get_ylim()}) == 3
    for ax in axes:
        medians = [line for line in ax.lines if line.get_color() == "black"]
        assert len(medians) >= 2  # a black median line per box
    _assert_paper_ready(fig)
    axes = plot_interactions(values, by=y, sharey=True, showfliers=False)
    assert len({ax.get_ylim() for ax in axes}) == 1
    assert "outliers not shown" in axes[0].figure.get_supxlabel()


def test_and_gate_tables_show_sorted_state_values(and_fit):
    X, y = and_fit[1:]
    est = and_fit[0]
    # x2's states appear in the order (1, 0): the plot must sort them
    assert list(est.discretizers_[1].states_) == [1, 0]
    axes = plot_tables(est, label=1)
    for ax in axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
        assert list(ax.get_xticks()) == [0, 1]  # no fractional ticks
        assert ax.get_xlabel() == "x2"
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["0", "1"]
    assert axes[0].get_ylabel() == "x1"
    # y = 1 only where x1 = 1 and x2 = 1: row 1 (upwards), column 1
    table = axes[0].images[0].get_array()
    assert np.unravel_index(np.argmax(table), table.shape) == (1, 1)
    assert table[1, 1] == pytest.approx(np.mean(y == 1), abs=1e-9)
    # small tables carry their probabilities as text
    assert len(axes[0].texts) == 4
    fig = axes[0].figure
    _assert_paper_ready(fig)
    # one colour bar, and its label clear of both panels
    renderer = fig.canvas.get_renderer()
    colorbar = [a for a in fig.axes if a not in list(axes)]
    assert len(colorbar) == 1
    label = colorbar[0].yaxis.label.get_window_extent(renderer)
    for ax in axes:
        assert not label.overlaps(ax.get_tightbbox(renderer))


def test_binned_and_clustered_states_are_labelled(and_fit):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    y = (X.sum(axis=1) > 0).astype(int)
    est = PIDCVX(discretizer="quantile", n_bins=4).fit(X, y)
    axes = plot_tables(est)
    edges = est.discretizers_[1].edges_[0]
    assert [t.get_text() for t in axes[0].get_xticklabels()] == [
        f"{e:.2g}" for e in edges
    ]
    np.testing.assert_allclose(axes[0].get_xticks(), [0.5, 1.5, 2.5])
    assert axes[0].get_xlabel() == "x2 (bin edges)"
    _assert_paper_ready(axes[0].figure)
    est = PIDCVX(discretizer="kmeans", n_clusters=6, random_state=0).fit(X, y)
    axes = plot_tables(est)
    assert [t.get_text() for t in axes[0].get_yticklabels()] == list("012345")
    assert axes[0].get_ylabel() == "x1 cluster"
    assert len(axes[0].texts) == 0  # 6 x 6: too many cells to write in
    _assert_paper_ready(axes[0].figure)


# -------------------------------------------------------------- plot_pairwise


def test_plot_pairwise_places_each_atom():
    """Symmetric redundancy and synergy; the unique panel's cell (a, b) is
    a's unique information beside b; the colour bar names the unit."""
    rng = np.random.default_rng(0)
    n = 600
    X = rng.integers(0, 2, (n, 3))
    y = X[:, 0] ^ X[:, 1]
    est = PIDCVX(modalities={"a": [0], "b": [1], "c": [2]}, discretizer="discrete")
    est.set_params(random_state=0).fit(X, y)
    axes = plot_pairwise(est)
    assert [ax.get_title() for ax in axes] == ["redundancy", "unique", "synergy"]
    images = [ax.get_images()[0].get_array() for ax in axes]
    frame = est.decompositions_.set_index(["source_1", "source_2"])
    assert images[2][0, 1] == images[2][1, 0] == frame.loc[("a", "b"), "synergy"]
    assert images[1][0, 2] == frame.loc[("a", "c"), "unique_1"]
    assert images[1][2, 0] == frame.loc[("a", "c"), "unique_2"]
    assert np.ma.is_masked(images[0][1, 1]) or np.isnan(images[0][1, 1])
    colorbar = axes[0].figure.axes[-1]
    assert colorbar.get_ylabel() == "bits"
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="decompositions_"):
        plot_pairwise(PIDCVX(discretizer="discrete").fit(X[:, :2], y))
