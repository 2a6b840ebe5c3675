"""Tests of sklearn_pid.plotting with matplotlib's Agg backend."""

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_pid import PIDCVX  # noqa: E402
from sklearn_pid.datasets import make_bitwise  # noqa: E402
from sklearn_pid.plotting import (  # noqa: E402
    plot_decompositions,
    plot_interactions,
    plot_tables,
)

ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def and_fit():
    X, y = make_bitwise("and", 2000, random_state=0)
    return PIDCVX().fit(X, y), X, y


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
    axes = plot_tables(est)
    assert [ax.get_title() for ax in axes] == ["p(x1, x2)", "q*(x1, x2)"]
    np.testing.assert_allclose(axes[0].images[0].get_array(), est.p_.sum(axis=2))
    np.testing.assert_allclose(axes[1].images[0].get_array(), est.q_.sum(axis=2))
    axes = plot_tables(est, label=1)
    assert axes[0].get_title() == "p(x1, x2, y=1)"
    np.testing.assert_allclose(axes[1].images[0].get_array(), est.q_[:, :, 1])
    with pytest.raises(ValueError, match="not among classes_"):
        plot_tables(est, label=7)


def test_figures_render_to_png(and_fit, tmp_path):
    est = and_fit[0]
    ax = plot_decompositions(est.decomposition_)
    path = tmp_path / "bars.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
