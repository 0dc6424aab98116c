"""Pick the clustering features and standardise them, so no unit dominates the distances."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

from ..config import Settings
from ..model import CustomerTable, Features


def build(table: CustomerTable, settings: Settings) -> Features:
    roles = tuple(settings.features)
    raw = table.frame.loc[:, list(roles)].to_numpy(dtype=np.float64)
    scaler = StandardScaler().fit(raw)
    return Features(matrix=scaler.transform(raw), roles=roles, mean=scaler.mean_, scale=scaler.scale_)
