"""Real data with two modalities, shipped with scikit-learn: no download."""

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.utils import Bunch

#: Pixels per half image of :func:`load_digits_halves` (4 rows of 8).
DIGITS_HALF = 32

_DIGITS_DESCR = """\
Digits halves
-------------
scikit-learn's optical recognition of handwritten digits (8x8 images, 1797
samples, 10 classes) with two modalities: the top half of each image (rows
0-3, columns top_0..top_31) and the bottom half (rows 4-7, columns
bottom_0..bottom_31). Pass modalities=32.

"""


def load_digits_halves(*, return_X_y=True, as_frame=False):
    """Scikit-learn's 8x8 handwritten digits, split into top and bottom halves.

    The 1797 images of ``sklearn.datasets.load_digits`` (shipped with
    scikit-learn, no download) are flattened row by row, so modality 1, the
    top half (image rows 0-3), is the first 32 pixel columns and modality 2,
    the bottom half (rows 4-7), the last 32: use ``modalities=32``. Pixel
    ``k`` of a half is at row ``k // 8`` of that half, column ``k % 8``.
    Pixel values are grey levels, whole numbers from 0 to 16.

    Parameters
    ----------
    return_X_y : bool, default=True
        If True return ``(X, y)``, else a :class:`~sklearn.utils.Bunch`.
    as_frame : bool, default=False
        If True, ``X`` is a DataFrame with columns ``top_0 .. top_31,
        bottom_0 .. bottom_31`` and ``y`` a Series named ``"digit"``.

    Returns
    -------
    X : ndarray or DataFrame of shape (1797, 64), dtype float64
        Top-half pixels then bottom-half pixels.
    y : ndarray or Series of shape (1797,), dtype int64
        The digit, 0 to 9.
    bunch : Bunch
        When ``return_X_y=False``: ``data`` (X), ``target`` (y), ``frame``
        (``data`` and ``target`` in one DataFrame if ``as_frame``, else
        None), ``modalities`` (32), ``feature_names``, ``target_names`` and
        ``DESCR``.

    Examples
    --------
    >>> from sklearn_pid.datasets import load_digits_halves
    >>> X, y = load_digits_halves()
    >>> X.shape, y.shape
    ((1797, 64), (1797,))
    >>> load_digits_halves(as_frame=True)[0].columns[[0, 32]].tolist()
    ['top_0', 'bottom_0']
    """
    digits = load_digits()
    X, y = digits.data, digits.target.astype(np.int64)
    feature_names = [f"top_{k}" for k in range(DIGITS_HALF)] + [
        f"bottom_{k}" for k in range(DIGITS_HALF)
    ]
    frame = None
    if as_frame:
        X = pd.DataFrame(X, columns=feature_names)
        y = pd.Series(y, name="digit")
        frame = pd.concat([X, y], axis=1)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=frame,
        modalities=DIGITS_HALF,
        feature_names=feature_names,
        target_names=digits.target_names,
        DESCR=_DIGITS_DESCR + digits.DESCR,
    )
