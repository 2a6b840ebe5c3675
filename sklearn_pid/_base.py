"""Pieces shared by the information estimators: output names and containers."""

import numpy as np
import pandas as pd
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

#: Column order of ``transform`` / ``interactions`` and index of ``decomposition_``.
ATOMS = ("redundancy", "unique_1", "unique_2", "synergy")

#: Pointwise terms of LSMI: entropies of each modality, then pointwise MIs.
LSMI_TERMS = ("h_1", "h_2", "i_1", "i_2", "i_joint")


class DecompositionMixin:
    """``get_feature_names_out`` and the dataset-level attributes of a PID."""

    def get_feature_names_out(self, input_features=None):
        """Names of the four output columns.

        Parameters
        ----------
        input_features : array-like of str or None
            Only checked against ``feature_names_in_``; the output names are
            fixed.

        Returns
        -------
        ndarray of str
            ``["redundancy", "unique_1", "unique_2", "synergy"]``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(ATOMS, dtype=object)

    def _set_decomposition(self, values):
        """Set ``redundancy_`` ... ``synergy_``, ``mi_*_`` and ``decomposition_``.

        Parameters
        ----------
        values : dict
            The four atoms and ``mi_1``, ``mi_2``, ``mi_joint`` in ``base``.
        """
        self.redundancy_ = float(values["redundancy"])
        self.unique_1_ = float(values["unique_1"])
        self.unique_2_ = float(values["unique_2"])
        self.synergy_ = float(values["synergy"])
        self.mi_1_ = float(values["mi_1"])
        self.mi_2_ = float(values["mi_2"])
        self.mi_joint_ = float(values["mi_joint"])
        self.decomposition_ = pd.Series(
            [values[a] for a in ATOMS], index=list(ATOMS), name="pid", dtype=float
        )

    def _atoms_frame(self, values, index=None):
        """A DataFrame with the four atom columns."""
        return pd.DataFrame(np.asarray(values), columns=list(ATOMS), index=index)
