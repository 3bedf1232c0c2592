"""The chain-rule explorer's engine: why every gradient has its value, and one training step, frame by frame.

`explain_weight` breaks dL/dw into its local form (h_i · δ_j), its paths to the loss (one product of elementary
derivatives per path, summing exactly to the gradient), the optimiser's update and a numerical check;
`explain_output` does the same for the output y itself, with no loss (the notes' scalar chain);
`StepThrough` lists one sample's forward pass, loss, backward pass and update as frames. Nothing here changes
the network.
"""

from .batch import Quantity
from .explanation import Explanation, PenaltyTerm, explain_weight
from .local import LocalForm, Term
from .output import NotesForm, OutputExplanation, explain_output
from .paths import ENUMERATE_LIMIT, Path, PathForm, PathSearch, path_form
from .reach import path_union
from .stepthrough import Frame, StepThrough
from .update import Update
from .values import NetworkValues, network_values

__all__ = [
    "ENUMERATE_LIMIT", "Explanation", "Frame", "LocalForm", "NetworkValues", "NotesForm", "OutputExplanation", "Path",
    "PathForm", "PathSearch", "PenaltyTerm", "Quantity", "StepThrough", "Term", "Update", "explain_output",
    "explain_weight", "network_values", "path_form", "path_union",
]
