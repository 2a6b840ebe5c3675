"""Command-line entry point: ``sklearn-pid demo`` / ``sklearn-pid estimate``.

Also runnable as ``python -m sklearn_pid``.
"""

import argparse
import ast
import fnmatch
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

from .batch import PIDBatch
from .cvx import PIDCVX
from .datasets import (
    load_digits_halves,
    make_bitwise,
    make_boolean_mixture,
    make_gaussian_mixture,
    make_gaussian_modalities,
)
from .dmi import DMIClassifier
from .lsmi import LSMIEstimator

#: Columns of :func:`demo_table`: fitted attribute of the estimator -> column name.
DEMO_COLUMNS = {
    "redundancy_": "redundancy",
    "unique_1_": "unique_1",
    "unique_2_": "unique_2",
    "synergy_": "synergy",
    "mi_1_": "I(X1;Y)",
    "mi_2_": "I(X2;Y)",
    "mi_joint_": "I(X1,X2;Y)",
}

BITWISE_SAMPLES = 10000
GMM_SAMPLES = 20000
TOY_SAMPLES = 2000
MIXTURE_SAMPLES = 4000

HEADER = (
    "sklearn-pid demo: partial information decomposition, in bits "
    "(seconds: wall time of fit), seed={seed}"
)
FOOTER = (
    f"AND, OR, XOR: {BITWISE_SAMPLES} pairs of fair bits. "
    f"GMM: {GMM_SAMPLES} points, ||mu||=2, angle=pi/4, 50 uniform bins on [-5, 5].\n"
    "digits halves: top vs bottom half of scikit-learn's 8x8 digits "
    "(PIDCVX: 20 k-means clusters per half).\n"
    "PIDBatch: the same GMM data, no binning (posteriors and alignment learned "
    "by neural networks).\n"
    f"Gaussian views: {TOY_SAMPLES} samples of make_gaussian_modalities(n_classes=2, "
    "rho=0.5); LSMIEstimator values are means of out-of-fold per-sample values.\n"
    f"AND+XOR mixture: {MIXTURE_SAMPLES} samples of make_boolean_mixture('and+xor') "
    "(exact shares 21.4/0/0/78.6 %); DMIClassifier values: information used by the "
    "fitted model's prediction, on its training data."
)


def _demo_cases(seed):
    """Yield ``(estimator name, dataset name, X, y, unfitted estimator)``."""
    for gate in ("and", "or", "xor"):
        X, y = make_bitwise(gate, BITWISE_SAMPLES, random_state=seed)
        yield (
            "PIDCVX",
            gate.upper(),
            X,
            y,
            PIDCVX(discretizer="discrete", random_state=seed),
        )
    X, y = make_gaussian_mixture(GMM_SAMPLES, random_state=seed)
    yield (
        "PIDCVX",
        "GMM",
        X,
        y,
        PIDCVX(discretizer="uniform", n_bins=50, bin_range=(-5, 5), random_state=seed),
    )
    X, y = load_digits_halves()
    yield (
        "PIDCVX",
        "digits halves",
        X,
        y,
        PIDCVX(modalities=32, discretizer="kmeans", n_clusters=20, random_state=seed),
    )
    X, y = make_gaussian_mixture(GMM_SAMPLES, random_state=seed)
    yield ("PIDBatch", "GMM", X, y, PIDBatch(random_state=seed))
    X, y = make_gaussian_modalities(TOY_SAMPLES, rho=0.5, random_state=seed)
    yield (
        "LSMIEstimator",
        "Gaussian views",
        X,
        y,
        LSMIEstimator(modalities=2, random_state=seed),
    )
    X, y = load_digits_halves()
    yield (
        "LSMIEstimator",
        "digits halves",
        X,
        y,
        LSMIEstimator(modalities=32, random_state=seed),
    )
    X, y = make_boolean_mixture("and+xor", MIXTURE_SAMPLES, random_state=seed)
    yield (
        "DMIClassifier",
        "AND+XOR mixture",
        X,
        y,
        DMIClassifier(modalities=16, random_state=seed),
    )
    X, y = load_digits_halves()
    yield (
        "DMIClassifier",
        "digits halves",
        X,
        y,
        DMIClassifier(modalities=32, random_state=seed),
    )


def demo_table(seed=0):
    """Every estimator on the bitwise gates, Gaussian data and the digits halves.

    Parameters
    ----------
    seed : int, default=0
        Seed of the generated data and of the discretisers.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(estimator, dataset)``; columns ``redundancy, unique_1,
        unique_2, synergy, I(X1;Y), I(X2;Y), I(X1,X2;Y)`` in bits and
        ``seconds``, the wall time of ``fit``. ``table.attrs["warnings"]``
        maps each row's ``(estimator, dataset)`` to the messages of the
        warnings its fit raised.
    """
    rows, notes = {}, {}
    for method, dataset, X, y, estimator in _demo_cases(seed):
        name = (method, dataset)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            estimator.fit(X, y)
            seconds = time.perf_counter() - start
        row = {col: getattr(estimator, attr) for attr, col in DEMO_COLUMNS.items()}
        rows[name] = {**row, "seconds": seconds}
        notes[name] = [str(w.message) for w in caught]
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.names = ["estimator", "dataset"]
    table.attrs["warnings"] = notes
    return table


def _run_demo(args):
    table = demo_table(seed=args.seed)
    print(HEADER.format(seed=args.seed))
    print()
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print()
    print(FOOTER)
    for name, messages in table.attrs["warnings"].items():
        for message in messages:
            print(f"Warning ({', '.join(name)}): {message}")
    return 0


#: Estimators that ``estimate`` can run, by the name given to ``--estimator``.
ESTIMATORS = {
    "pidcvx": PIDCVX,
    "lsmi": LSMIEstimator,
    "batch": PIDBatch,
    "dmi": DMIClassifier,
}


class CommandError(Exception):
    """A user error of the command line: printed, exit status 2."""


def _read_table(path):
    """A DataFrame from a CSV or Parquet file (by extension)."""
    path = Path(path)
    if not path.exists():
        raise CommandError(f"no such file: {path}")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except ImportError as error:
            raise CommandError(
                f"reading {path.name} needs pyarrow: pip install pyarrow"
            ) from error
    return pd.read_csv(path)


def _select(frame, spec, what):
    """Column names of ``frame`` matching a comma-separated list of names/globs."""
    names = []
    for pattern in (p.strip() for p in spec.split(",") if p.strip()):
        matches = [c for c in frame.columns if fnmatch.fnmatchcase(str(c), pattern)]
        if not matches:
            raise CommandError(
                f"{what}: no column matches {pattern!r}; columns are "
                f"{', '.join(map(str, frame.columns[:20]))}"
                + (" ..." if frame.shape[1] > 20 else "")
            )
        names += [c for c in matches if c not in names]
    return names


def _parse_params(items):
    """``["n_bins=20", "discretizer=kmeans"]`` -> ``{"n_bins": 20, ...}``."""
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CommandError(f"--param expects NAME=VALUE, got {item!r}")
        try:
            params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key] = value  # a bare string such as kmeans
    return params


def _run_estimate(args):
    try:
        frame = _read_table(args.data)
        cols1 = _select(frame, args.modality_1, "--modality-1")
        cols2 = _select(frame, args.modality_2, "--modality-2")
        targets = _select(frame, args.target, "--target")
        if len(targets) != 1:
            raise CommandError(f"--target matches {len(targets)} columns: {targets}")
        (target,) = targets
        overlap = set(cols1) & set(cols2) | {target} & set(cols1 + cols2)
        if overlap:
            raise CommandError(f"columns used twice: {sorted(map(str, overlap))}")
        data = frame[cols1 + cols2 + [target]]
        missing = data.columns[data.isna().any()].tolist()
        if missing:
            raise CommandError(
                f"missing values in columns {missing}: drop or impute them first"
            )
        params = {"modalities": len(cols1), "base": args.base} | _parse_params(
            args.param
        )
        if args.verbose:
            params.setdefault("verbose", 1)
        estimator = ESTIMATORS[args.estimator]().set_params(**params)
        X, y = data[cols1 + cols2], data[target]
        start = time.perf_counter()
        estimator.fit(X, y)
    except (CommandError, ValueError, TypeError) as error:
        print(f"sklearn-pid estimate: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(
        f"{type(estimator).__name__} on {args.data}: {len(cols1)} + {len(cols2)} "
        f"columns, target {target!r}, {len(data)} rows, in base {args.base:g} "
        f"({seconds:.1f} s)"
    )
    print(estimator.decomposition_.to_string(float_format=lambda v: f"{v:.4f}"))
    if args.output:
        values = estimator.interactions(X, y)
        if str(args.output).lower().endswith((".parquet", ".pq")):
            values.to_parquet(args.output)
        else:
            values.to_csv(args.output, index=False)
        print(f"per-sample interactions: {args.output}")
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-pid",
        description="Partial information decomposition of two modalities.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = commands.add_parser(
        "demo",
        help="print every estimator on classic and real datasets (1-2 minutes)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data and the discretisers (default: 0)",
    )
    demo.set_defaults(handler=_run_demo)
    estimate = commands.add_parser(
        "estimate",
        help="decompose the columns of a CSV or Parquet file",
        description=(
            "Fit an estimator on two groups of columns and a target column of a "
            "table and print redundancy, uniqueness and synergy. Columns are "
            "given as comma-separated names or glob patterns (e.g. 'top_*')."
        ),
    )
    estimate.add_argument("data", help="CSV or Parquet file")
    estimate.add_argument(
        "--modality-1", required=True, help="columns of modality 1 (names/globs)"
    )
    estimate.add_argument(
        "--modality-2", required=True, help="columns of modality 2 (names/globs)"
    )
    estimate.add_argument("--target", required=True, help="the label column")
    estimate.add_argument(
        "--estimator",
        choices=sorted(ESTIMATORS),
        default="pidcvx",
        help="which estimator (default: pidcvx)",
    )
    estimate.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="an estimator parameter, e.g. --param n_bins=20 (repeatable)",
    )
    estimate.add_argument(
        "--base", type=float, default=2.0, help="logarithm base (default: 2, bits)"
    )
    estimate.add_argument(
        "--output", help="write per-sample interactions to this CSV/Parquet file"
    )
    estimate.add_argument(
        "--verbose", action="store_true", help="progress bars while training"
    )
    estimate.set_defaults(handler=_run_estimate)
    return parser


def main(argv=None):
    """Run the ``sklearn-pid`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        Exit status (0 on success). A missing or unknown command exits with
        status 2 after printing the usage.
    """
    args = _parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
