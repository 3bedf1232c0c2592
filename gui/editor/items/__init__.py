"""Canvas items: a layer node with its ports and neuron circles. Items read the model; they never own its state."""

from .layer_item import LayerItem, PortItem
from .neuron_item import NeuronItem

__all__ = ["LayerItem", "NeuronItem", "PortItem"]
