"""The loss surface: the loss over a grid of the one or two selected weights, and along the gradient step.

The engine half (`engine.surface`) computes; this package shows it in a dock.
"""

from .install import SurfaceFeature

__all__ = ["SurfaceFeature"]
