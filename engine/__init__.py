"""Backprop Studio's engine: a pure-NumPy neuron-graph trainer with exact gradients. No Qt here, ever.

The names below are the public API that the GUI, the CLI, the tests and the benchmarks share.
"""

from .activations import ACTIVATIONS
from .compile import Compiled, Trace, compiled
from .counting import parameter_count
from .errors import (
    BackpropError,
    CycleError,
    DataError,
    DivergenceError,
    ExportError,
    GraphError,
    ProjectError,
    TrainingError,
    ValidationError,
)
from .gradcheck import CheckResult, gradient_check
from .graph.build import layered
from .graph.events import (
    ConnectionAdded,
    ConnectionChanged,
    ConnectionRemoved,
    LayerAdded,
    LayerChanged,
    LayerMoved,
    LayerRemoved,
    LayerResized,
    NetworkEvent,
    ValuesChanged,
)
from .graph.model import Connection, Layer, Network, RemovedNeuron
from .graph.validate import problems, validate
from .history import History
from .init import INITIALIZERS
from .losses import LOSSES, encode_targets
from .optim import OPTIMIZERS, make_optimizer
from .refs import BiasRef, ParamKey, ParamRef, WeightRef
from .training import StepResult, Trainer, TrainSettings

__all__ = [
    "ACTIVATIONS", "INITIALIZERS", "LOSSES", "OPTIMIZERS", "BackpropError", "BiasRef", "CheckResult", "Compiled",
    "Connection", "ConnectionAdded", "ConnectionChanged", "ConnectionRemoved", "CycleError", "DataError",
    "DivergenceError", "ExportError", "GraphError", "History", "Layer", "LayerAdded", "LayerChanged", "LayerMoved",
    "LayerRemoved", "LayerResized", "Network", "NetworkEvent", "ParamKey", "ParamRef", "ProjectError",
    "RemovedNeuron", "StepResult", "Trace", "TrainSettings", "Trainer", "TrainingError", "ValidationError",
    "ValuesChanged", "WeightRef", "compiled", "encode_targets", "gradient_check", "layered", "make_optimizer",
    "parameter_count", "problems", "validate",
]
