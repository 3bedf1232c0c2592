"""The chain-rule explorer: why the selected weight's gradient has its value, and one training step, frame by frame.

The engine half (`engine.explain`) computes; this package shows it in a dock and on the canvas.
"""

from .install import ExplorerFeature

__all__ = ["ExplorerFeature"]
