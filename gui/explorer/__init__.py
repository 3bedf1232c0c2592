"""The chain-rule explorer: why the selected weight's gradient has its value, and one training step, frame by frame.

The engine half (`engine.explain`) computes; this package shows it in a dock and on the canvas.
"""

from .install import ExplorerUi, install_explorer

__all__ = ["ExplorerUi", "install_explorer"]
