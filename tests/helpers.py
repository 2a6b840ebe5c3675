"""Helpers shared by test modules."""

import numpy as np


def table_to_samples(p):
    """Rows (x1, x2), labels y and weights that reproduce the table ``p[x1, x2, y]``."""
    p = np.asarray(p, dtype=float)
    x1, x2, y = np.nonzero(p)
    return np.column_stack([x1, x2]), y, p[x1, x2, y]
