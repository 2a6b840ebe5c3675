"""Three and four modalities: one grouped fit against separate two-modality fits.

Data: ``n`` samples of a binary label and ``k`` modalities of 8 columns
each; modality ``m`` sees the label through ``label * signal_m + noise``
(signals 1.0, 0.8, 0.6, 0.4 in standard deviations), so every pair shares
redundancy and has some uniqueness. For each estimator (defaults,
``random_state=0``) and ``k``:

* ``grouped``: ``Estimator(modalities=[k selections]).fit`` — every pair
  and each modality against the rest (``k (k - 1) / 2 + k`` decompositions),
  the work on each single modality shared;
* ``pairs``: the ``k (k - 1) / 2`` pairs fitted one by one, as a user would
  without the feature;
* ``pairs + rest``: the same ``k (k - 1) / 2 + k`` decompositions as
  ``grouped``, fitted one by one (what the sharing saves).

The grouped pairs must equal the separate fits (checked: largest atom
difference, bits). Writes a Markdown report (default
``benchmarks/results/modalities.md``).

    python benchmarks/bench_modalities.py                      # both, k = 3, 4
    python benchmarks/bench_modalities.py --estimators PIDCVX --n 2000
"""

import argparse
import platform
import time
import warnings
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_pid import PIDCVX, PIDBatch

ESTIMATORS = {"PIDCVX": PIDCVX, "PIDBatch": PIDBatch}
ATOMS = ["redundancy", "unique_1", "unique_2", "synergy"]
SIGNALS = (1.0, 0.8, 0.6, 0.4)
WIDTH = 8


def data(n, k, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    blocks = [
        (2 * y[:, None] - 1) * s / np.sqrt(WIDTH) + rng.normal(size=(n, WIDTH))
        for s in SIGNALS[:k]
    ]
    columns = [list(range(m * WIDTH, (m + 1) * WIDTH)) for m in range(k)]
    return np.hstack(blocks), y, columns


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def one(name, n, k):
    X, y, columns = data(n, k)
    cls = ESTIMATORS[name]
    grouped, grouped_s = timed(
        lambda: cls(modalities=columns, random_state=0).fit(X, y)
    )
    pair_s, rest_s, largest = 0.0, 0.0, 0.0
    for a, b in combinations(range(k), 2):
        sub, seconds = timed(
            lambda a=a, b=b: cls(
                modalities=(columns[a], columns[b]), random_state=0
            ).fit(X, y)
        )
        pair_s += seconds
        row = grouped.pair_estimators_[(str(a + 1), str(b + 1))].decomposition_
        largest = max(largest, float(np.abs(row - sub.decomposition_).max()))
    for a in range(k):
        rest = sorted(c for m in range(k) if m != a for c in columns[m])
        _, seconds = timed(
            lambda a=a, rest=rest: cls(
                modalities=(columns[a], rest), random_state=0
            ).fit(X, y)
        )
        rest_s += seconds
    return {
        "estimator": name,
        "k": k,
        "n": n,
        "decompositions": k * (k - 1) // 2 + k,
        "grouped s": round(grouped_s, 1),
        "pairs s": round(pair_s, 1),
        "pairs + rest s": round(pair_s + rest_s, 1),
        "grouped / pairs": round(grouped_s / pair_s, 2),
        "grouped / (pairs + rest)": round(grouped_s / (pair_s + rest_s), 2),
        "largest pair difference, bits": f"{largest:.1e}",
    }


def markdown(frame):
    rows = [list(map(str, frame.columns))]
    rows += [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(frame.columns))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--k", nargs="+", type=int, default=[3, 4])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "modalities.md")
    )
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    rows = []
    for name in args.estimators:
        for k in args.k:
            rows.append(one(name, args.n, k))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    text = (
        "# Three or more modalities: grouped fit against separate fits\n\n"
        f"{platform.platform()}, {platform.processor() or 'cpu'}, "
        f"{time.strftime('%Y-%m-%d')}; wall seconds, defaults, random_state=0.\n\n"
        f"{markdown(frame)}\n"
    )
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
