"""What the app does to a raw data row before the network sees it, as one value an export can bake in.

A network trained on standardised inputs expects standardised inputs; exported alone, it gives wrong answers on the
raw rows a user has. Every export writes this transform in front of the network, so the exported model takes raw
rows and gives the app's own predictions. Steps are fields applied in a fixed order (today only standardisation),
so a later step (feature crosses, say) is one more field, and every exporter writes each step it finds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.datasets.dataset import Standardizer


@dataclass(frozen=True)
class InputTransform:
    standardizer: Standardizer | None = None  # (x − mean) / std with the training split's statistics

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Raw rows → the network's inputs, exactly as training and evaluation compute them."""
        return X if self.standardizer is None else self.standardizer.transform(X)
