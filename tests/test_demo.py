"""Tests of the demo (:mod:`sklearn_pid.demo`) and of ``sklearn-pid demo``."""

import contextlib
import io
import re
import subprocess
import sys
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ATOMS

from sklearn_pid import __main__ as cli
from sklearn_pid import demo
from sklearn_pid.datasets import gaussian_modalities_pointwise, make_gaussian_modalities

GOLDEN_DEMO = Path(__file__).parent / "golden" / "demo.csv"

ROWS = [
    ("PIDCVX", "AND"),
    ("PIDCVX", "OR"),
    ("PIDCVX", "XOR"),
    ("PIDCVX", "GMM"),
    ("PIDCVX", "digits halves"),
    ("PIDBatch", "GMM"),
    ("LSMIEstimator", "Gaussian views"),
    ("LSMIEstimator", "digits halves"),
    ("DMIClassifier", "AND+XOR mixture"),
    ("DMIClassifier", "digits halves"),
]


@pytest.fixture(scope="module")
def demo_run():
    """Run ``main(["demo"])`` once; return its exit status, stdout and table
    (about 2.5 minutes on 2 cores: the slow tests below share it)."""
    tables = []
    original = demo.demo_table

    def recording_demo_table(seed=0, on_row=None):
        tables.append(original(seed=seed, on_row=on_row))
        return tables[-1]

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        # The command line imports sklearn_pid.demo when it runs the demo.
        mp.setattr(demo, "demo_table", recording_demo_table)
        status = cli.main(["demo"])
    return status, out.getvalue(), tables[0]


@pytest.mark.slow
def test_demo_table_same_numbers_as_before(demo_run):
    """The demo's numbers are those stored in tests/golden/demo.csv (see
    tests/test_golden.py for what was re-stored and why)."""
    stored = pd.read_csv(GOLDEN_DEMO, index_col=[0, 1])
    # the stored columns: not "seconds", nor the bootstrap intervals
    table = demo_run[2][stored.columns]
    # DMIClassifier's atoms are means of transform: reordered (test_golden's
    # REORDERED)
    exact = table.index.get_level_values(0) != "DMIClassifier"
    pd.testing.assert_frame_equal(
        table[exact], stored[exact], check_exact=True, check_names=False
    )
    np.testing.assert_allclose(table[~exact], stored[~exact], rtol=0, atol=1e-15)


def test_demo_command_on_the_first_rows(monkeypatch, capsys):
    """The command's output on the first three rows, one with an interval
    (the full demo runs in the slow tests: 2.5 minutes)."""
    cases = demo._demo_cases
    monkeypatch.setattr(demo, "_demo_cases", lambda seed: islice(cases(seed), 3))
    monkeypatch.setattr(demo, "DEMO_INTERVALS", {("PIDCVX", "XOR"): 20})
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("sklearn-pid demo: partial information decomposition")
    assert "in bits" in output and "seed=0" in output
    for gate in ("AND", "OR", "XOR"):  # a table row: name, then 8 numbers
        assert re.search(rf"^(PIDCVX)? +{gate}( +[0-9.]+){{8}}$", output, re.M), gate
    assert "95 % bootstrap intervals [low, high] of the atoms, in bits:" in output
    assert re.search(r"^PIDCVX XOR( +\[[0-9.]+, [0-9.]+\]){4}$", output, re.M)


@pytest.mark.slow
def test_demo_prints_the_table(demo_run):
    status, output, table = demo_run
    assert status == 0
    assert output.startswith("sklearn-pid demo: partial information decomposition")
    assert "in bits" in output and "seed=0" in output
    columns = ATOMS + ["I(X1;Y)", "I(X2;Y)", "I(X1,X2;Y)", "seconds"]
    for name in {name for row in ROWS for name in row} | set(columns):
        assert name in output
    assert table.index.tolist() == ROWS
    assert table.columns.tolist() == columns + demo.interval_columns()
    assert (table["seconds"] > 0).all()
    assert set(table.attrs["warnings"]) == set(ROWS)
    assert demo.demo_notes() in output
    # The rows, printed one by one as they were fitted, form the final table
    # (unless a fit took 100 s or more: pandas would widen "seconds").
    if (table["seconds"] < 100).all():
        assert table[columns].to_string(float_format=cli._number) in output
    # The real-data rows have intervals, printed under the table.
    assert "95 % bootstrap intervals [low, high] of the atoms, in bits:" in output
    assert cli._interval_text(table, 0.95) in output
    for name, messages in table.attrs["warnings"].items():
        for message in messages:
            line = f"Warning ({', '.join(name)}): {cli._one_line(message)}\n"
            assert output.count(line) == 1


@pytest.mark.slow
def test_demo_intervals(demo_run):
    _, _, table = demo_run
    bounds = table[demo.interval_columns()]
    assert set(table.attrs["intervals"]) == set(demo.DEMO_INTERVALS)
    assert bounds.notna().all(axis=1).tolist() == [
        name in demo.DEMO_INTERVALS for name in ROWS
    ]
    for name, n_resamples in demo.DEMO_INTERVALS.items():
        info = table.attrs["intervals"][name]
        assert info["resamples"] == n_resamples and info["seconds"] > 0
        route = {"PIDCVX": "tables", "LSMIEstimator": "out-of-fold"}[name[0]]
        assert info["route"] == route
        for column in demo.DEMO_COLUMNS.values():
            low, high = table.loc[name, [f"{column} low", f"{column} high"]]
            # The digits carry about 3 bits; the bootstrap standard errors
            # measured were 0.02-0.06 bits, so widths of 0.05-0.25 bits.
            assert 0 <= high - low < 0.5, (name, column)
            # bias-corrected intervals: near the estimate, up to the bias they correct
            # (0.09 bits measured for PIDCVX's redundancy)
            assert low - 0.3 < table.loc[name, column] < high + 0.3, (name, column)
    # PIDCVX's atoms are non-negative, and so are its bounds.
    assert (table.loc[("PIDCVX", "digits halves"), demo.interval_columns()] >= 0).all()


@pytest.mark.slow
def test_demo_values(demo_run):
    _, _, table = demo_run
    # XOR on n = 10^4 sampled bits: the plug-in deviations of H(Y), I(X1;Y) and
    # I(X2;Y) from their exact values are chi2(1) / (2 n ln 2) ~ 7e-5 bits each,
    # so 0.005 bits is far beyond sampling noise.
    assert table.loc[("PIDCVX", "XOR"), "synergy"] == pytest.approx(1.0, abs=5e-3)
    # AND: R is a smooth function of the four cell frequencies (standard error
    # sqrt(3/16 / n) = 0.004 each); over 100 seeds at n = 10^4 we measured a
    # standard deviation of 0.0053 bits for R, so 0.03 bits is over 5 sd.
    assert table.loc[("PIDCVX", "AND"), "redundancy"] == pytest.approx(0.3113, abs=0.03)
    assert table.loc[("PIDCVX", "AND"), "synergy"] == pytest.approx(0.5, abs=0.03)
    # The identities of the decomposition hold in every row; R + U_m = I(X_m;Y)
    # holds for PIDCVX and LSMI (DMI's redundancy averages its two modalities'
    # redundant heads, see DMIClassifier).
    np.testing.assert_allclose(table[ATOMS].sum(axis=1), table["I(X1,X2;Y)"], atol=1e-6)
    info = table.drop(index="DMIClassifier", level="estimator")
    np.testing.assert_allclose(
        info["redundancy"] + info["unique_1"], info["I(X1;Y)"], atol=1e-6
    )
    # PIDCVX atoms are non-negative; LSMI's uniqueness can be negative.
    assert (table.loc["PIDCVX", ATOMS] >= 0).all().all()


@pytest.mark.slow
def test_demo_dmi_shares_match_the_exact_mixture(demo_run):
    _, _, table = demo_run
    got = table.loc[("DMIClassifier", "AND+XOR mixture"), ATOMS]
    shares = got.clip(lower=0) / got.clip(lower=0).sum()
    # test_dmi checks 5 points over seeds; the demo's single fit was within
    # 1.4 points of the exact shares.
    np.testing.assert_allclose(shares, demo.exact_mixture_shares(), atol=0.05)


def test_exact_mixture_shares():
    # BROJA on the exact AND+XOR table: R = 0.2044, S = 0.75 bits, no
    # uniqueness (boolean_mixture_table's example).
    np.testing.assert_allclose(
        demo.exact_mixture_shares(), [0.2044 / 0.9544, 0, 0, 0.75 / 0.9544], atol=1e-4
    )


def test_demo_notes_are_computed(monkeypatch):
    notes = demo.demo_notes()
    assert "AND, OR, XOR: 10000 pairs of fair bits" in notes
    assert "||mu||=2, angle=pi/4, 50 uniform bins on [-5, 5]" in notes
    assert "(exact shares 21.4/0/0/78.6 %)" in notes
    monkeypatch.setattr(demo, "GMM_SAMPLES", 123)
    monkeypatch.setattr(demo, "GMM_ANGLE", 3 * np.pi / 8)
    monkeypatch.setattr(demo, "MIXTURE", "or+xor")
    notes = demo.demo_notes()
    assert "GMM: 123 points, ||mu||=2, angle=3pi/8" in notes
    assert "OR+XOR mixture" in notes
    assert "make_boolean_mixture('or+xor')" in notes


@pytest.mark.slow
def test_demo_lsmi_matches_the_exact_means(demo_run):
    _, _, table = demo_run
    X, y = make_gaussian_modalities(2000, rho=0.5, random_state=0)
    exact = gaussian_modalities_pointwise(X, y, rho=0.5).mean()
    got = table.loc[("LSMIEstimator", "Gaussian views")]
    # Held-out per-sample MAE is ~0.03 nats (test_lsmi); means are closer.
    for atom in ATOMS:
        assert got[atom] == pytest.approx(exact[atom], abs=0.05), atom


@pytest.mark.slow
def test_demo_pidbatch_matches_the_binned_reference(demo_run):
    _, _, table = demo_run
    got = table.loc[("PIDBatch", "GMM"), ATOMS]
    # PIDCVX on a 50-bin histogram of 10^6 samples (test_batch's reference):
    # 0.720 / 0.000 / 0.002 / 0.191 bits. The batch coupling cannot match two
    # finite samples exactly at this angle: measured error 0.022 bits (see
    # PIDBatch's Notes), so 0.03.
    np.testing.assert_allclose(got, [0.720, 0.0, 0.002, 0.191], atol=0.03)


def test_demo_seed_is_passed_on(monkeypatch, capsys):
    seeds = []

    def fake_demo_table(seed=0, on_row=None):
        seeds.append(seed)
        table = pd.DataFrame({"redundancy": [0.0]}, index=["AND"])
        table.attrs["warnings"] = {("PIDCVX", "AND"): []}
        return table

    monkeypatch.setattr(demo, "demo_table", fake_demo_table)
    monkeypatch.setattr(demo, "demo_notes", lambda: "notes")
    assert cli.main(["demo", "--seed", "3"]) == 0
    assert seeds == [3]
    assert "seed=3" in capsys.readouterr().out


def test_no_command_prints_usage_and_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2
    assert "usage: sklearn-pid" in capsys.readouterr().err


def test_module_is_runnable():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_pid", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "demo" in result.stdout and "estimate" in result.stdout
