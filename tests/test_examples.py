"""Tests of the runnable examples in ``examples/``.

``examples/plot_pidcvx_gmm.py`` reproduces the shape of Figure 3 of Liang et
al. (NeurIPS 2023): PIDCVX on the Gaussian mixture ``(x1, x2) | y ~ N(+-mu, I)``
with ``||mu|| = 2`` as the angle of ``mu`` goes from 0 to pi/2. Exact facts
used below (bits):

* ``I(X1,X2;Y) = 0.9128`` at every angle (closed form, see
  ``exact_information``).
* Cartesian, angle 0: ``x2`` is independent of ``(x1, y)``, so U1 = I(X1,X2;Y)
  and R = U2 = S = 0; angle pi/2 is the mirror image (U2 takes everything).
  Angle pi/4 is symmetric under swapping ``x1`` and ``x2``, so U1 = U2.
* Polar: ``I(r;Y) = 0`` (the classes are mirror images through the origin,
  which keeps the radius), so R = U1 = 0 and U2 = I(theta;Y) = 0.8856 at every
  angle.

Tolerances come from a sampling study of ``run`` at n = 10^4 over 40 seeds
(numbers quoted in each test) and from the estimator's own plug-in bias.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ATOMS
from scipy import integrate, special

ROOT = Path(__file__).resolve().parents[1]
GMM_EXAMPLE = ROOT / "examples" / "plot_pidcvx_gmm.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Samples per angle in the quick tests: 50 x 50 Cartesian bins stay below the
#: plug-in bias warning (bias ~0.08 bits < 10 % of 0.92) and each fit is fast.
N_TEST = 10_000

#: Exact values (bits) for ||mu|| = 2, computed by quadrature.
EXACT_MI = 0.9128222857744822
EXACT_MI_THETA = 0.8856493588812603


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _load_example(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gmm():
    return _load_example(GMM_EXAMPLE)


@pytest.fixture(scope="module")
def table(gmm):
    return gmm.run(n_samples=N_TEST, angles=[0.0, np.pi / 4, np.pi / 2], seed=0)


def test_run_returns_the_documented_table(table):
    assert table.index.names == ["coordinates", "angle"]
    coordinates = table.index.get_level_values("coordinates")
    assert list(dict.fromkeys(coordinates)) == ["cartesian", "polar"]
    np.testing.assert_allclose(table.loc["cartesian", "degrees"], [0, 45, 90])
    assert table.columns.tolist() == [
        "degrees",
        *ATOMS,
        "I(X1;Y)",
        "I(X2;Y)",
        "I(X1,X2;Y)",
        "plugin_bias",
    ]
    assert isinstance(table.attrs["warnings"], list)
    assert (table[ATOMS] >= 0).all().all()
    # The identities of the decomposition hold in every row (the solver is
    # certified to ~1e-9 bits; atoms in (-1e-7, 0) are rounded to 0).
    atol = 1e-6
    np.testing.assert_allclose(
        table["redundancy"] + table["unique_1"], table["I(X1;Y)"], atol=atol
    )
    np.testing.assert_allclose(
        table["redundancy"] + table["unique_2"], table["I(X2;Y)"], atol=atol
    )
    np.testing.assert_allclose(table[ATOMS].sum(axis=1), table["I(X1,X2;Y)"], atol=atol)


def test_angle_zero_is_unique_to_x1(table):
    a0 = table.loc[("cartesian", 0.0)]
    total = a0["I(X1,X2;Y)"]
    assert a0["unique_1"] > a0["unique_2"]
    # Exactly, U1 = I(X1,X2;Y) and R = U2 = S = 0: what the estimate puts in
    # R, U2 and S is plug-in bias of the 50 x 50 x 2 table, which
    # ``plugin_bias_`` bounds (measured over 40 seeds: R + U2 + S = 0.024 +-
    # 0.002 bits against plugin_bias_ = 0.083).
    assert a0["redundancy"] + a0["unique_2"] + a0["synergy"] <= a0["plugin_bias"]
    # Measured U1 / I(X1,X2;Y) = 0.975 +- 0.002 (min 0.971 over 40 seeds).
    assert a0["unique_1"] >= 0.9 * total
    # The total is the exact 0.9128 bits plus at most the plug-in bias
    # (discretising into 0.2-wide bins loses a little, bias adds a little).
    assert EXACT_MI - 0.03 <= total <= EXACT_MI + a0["plugin_bias"]


def test_angle_half_pi_is_unique_to_x2(table):
    a90 = table.loc[("cartesian", np.pi / 2)]
    assert a90["unique_2"] > a90["unique_1"]
    assert a90["redundancy"] + a90["unique_1"] + a90["synergy"] <= a90["plugin_bias"]
    # Measured U2 / I(X1,X2;Y) = 0.975 +- 0.002 (min 0.971 over 40 seeds).
    assert a90["unique_2"] >= 0.9 * a90["I(X1,X2;Y)"]


# U1 - U2 = I(X1;Y) - I(X2;Y) by the identities, so at pi/4 (and between the
# mirror angles 0 and pi/2) it is the difference of two plug-in estimates of
# the same mutual information: pure sampling noise. Its standard deviation at
# n = 10^4 measured over 40 seeds is 0.009 bits; 0.045 bits is 5 sd.
SYMMETRY_TOL = 0.045


def test_quarter_pi_is_symmetric_redundancy_plus_synergy(table):
    a45 = table.loc[("cartesian", np.pi / 4)]
    total = a45["I(X1,X2;Y)"]
    assert abs(a45["unique_1"] - a45["unique_2"]) <= SYMMETRY_TOL
    # Mostly redundancy plus synergy: measured R / I = 0.767 +- 0.005 and
    # S = 0.206 +- 0.005 bits, U1, U2 <= 0.03 bits over 40 seeds.
    assert a45["redundancy"] > a45["synergy"] > max(a45["unique_1"], a45["unique_2"])
    assert a45["redundancy"] + a45["synergy"] >= 0.9 * total
    assert a45["redundancy"] >= 0.6 * total
    # Redundancy peaks at pi/4: at 0 and pi/2 it is plug-in noise only.
    cart = table.loc["cartesian"]
    assert cart["redundancy"].idxmax() == pytest.approx(np.pi / 4)


def test_mirror_angles_swap_the_unique_parts(table):
    a0 = table.loc[("cartesian", 0.0)]
    a90 = table.loc[("cartesian", np.pi / 2)]
    assert abs(a0["unique_1"] - a90["unique_2"]) <= SYMMETRY_TOL
    assert abs(a0["synergy"] - a90["synergy"]) <= SYMMETRY_TOL


def test_polar_information_is_in_theta(table):
    polar = table.loc["polar"]
    # Exactly R = U1 = 0 (I(r;Y) = 0). The plug-in I(r;Y) is positive only by
    # its bias, (20 - 1)(2 - 1) / (2 n ln 2) = 0.0014 bits for 20 radius bins;
    # measured max R over 40 seeds: 0.0026 bits, U1: 0.
    assert (polar["redundancy"] <= 0.01).all()
    assert (polar["unique_1"] <= 0.01).all()
    # U2 = I(theta;Y) = 0.8856 at every angle: measured 0.884 +- 0.004.
    np.testing.assert_allclose(polar["unique_2"], EXACT_MI_THETA, atol=0.03)
    assert polar["unique_2"].max() - polar["unique_2"].min() <= SYMMETRY_TOL
    # S = 0.0272 exactly; the estimate adds at most the plug-in bias.
    assert (polar["synergy"] <= 0.0272 + polar["plugin_bias"] + 0.01).all()


def test_exact_information_matches_monte_carlo(gmm):
    exact = gmm.exact_information()
    assert exact["I(X1,X2;Y)"] == pytest.approx(EXACT_MI, abs=1e-9)
    assert exact["I(theta;Y)"] == pytest.approx(EXACT_MI_THETA, abs=1e-9)
    # Independent check: the mean of log2 p(y|x) / p(y) with the exact
    # posterior sigmoid(2 mu.x); its standard error with 2e5 samples is
    # ~0.001 bits.
    from sklearn_pid.datasets import make_gaussian_mixture

    angle = 0.3
    X, y = make_gaussian_mixture(200_000, norm=2.0, angle=angle, random_state=1)
    mu = 2.0 * np.array([np.cos(angle), np.sin(angle)])
    logit = 2 * X @ mu
    log_post = -np.logaddexp(0, np.where(y == 1, -logit, logit))  # log p(y|x)
    estimate = np.mean(log_post + np.log(2)) / np.log(2)
    assert estimate == pytest.approx(exact["I(X1,X2;Y)"], abs=0.005)
    # theta | y = 1 density integrates to one (checked on a fine grid).
    theta = np.linspace(-np.pi, np.pi, 20001)
    c = 2.0 * np.cos(theta)
    density = (
        np.exp(-2.0)
        / (2 * np.pi)
        * (1 + c * np.sqrt(2 * np.pi) * special.ndtr(c) * np.exp(c**2 / 2))
    )
    assert integrate.trapezoid(density, theta) == pytest.approx(1.0, abs=1e-6)


def test_main_without_matplotlib_prints_the_table_only(
    gmm, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails
    status = gmm.main(["--n-samples", "3000", "--n-angles", "2", "--seed", "1"])
    out = capsys.readouterr().out
    assert status == 0
    assert "matplotlib is not installed" in out
    assert "cartesian" in out and "polar" in out
    assert list(tmp_path.iterdir()) == []


def test_main_writes_the_png_given_by_out(gmm, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "figures" / "gmm.png"
    out.parent.mkdir()
    status = gmm.main(["--out", str(out), "--n-samples", "3000", "--n-angles", "2"])
    assert status == 0
    assert f"plot saved to {out}" in capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_script_end_to_end_as_a_user_runs_it(tmp_path):
    """``python examples/plot_pidcvx_gmm.py`` with its defaults (7 angles,
    20000 samples each, ``pidcvx_gmm.png`` in the current directory): about
    6 s on 2 cores, so it stays in the default run."""
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, str(GMM_EXAMPLE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # one row per coordinate system and angle: the degrees, then 8 numbers
    rows = [line.split()[-9:] for line in result.stdout.splitlines()]
    degrees = [r[0] for r in rows if len(r) == 9 and all(map(_is_number, r))]
    assert degrees == ["0", "15", "30", "45", "60", "75", "90"] * 2
    assert "warning:" not in result.stdout
    assert (tmp_path / "pidcvx_gmm.png").read_bytes()[:8] == PNG_SIGNATURE
