"""Command-line entry point: ``sklearn-pid demo`` or ``python -m sklearn_pid demo``."""

import argparse
import sys
import time
import warnings

import pandas as pd

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


def _parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-pid",
        description="Partial information decomposition of two modalities.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    demo = commands.add_parser(
        "demo",
        help="print every estimator on classic and real datasets (about a minute)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data and the discretisers (default: 0)",
    )
    demo.set_defaults(handler=_run_demo)
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
