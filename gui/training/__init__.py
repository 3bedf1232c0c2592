"""Training in a worker thread: the worker, the GUI-thread controller that fronts it, and the docks that watch it.

Threading invariant: while the worker runs a command (the document's run state is RUNNING) it alone touches the
trainer, the network's values and the history; the GUI thread only changes them (edits, Reset weights, watching a
weight) while the worker is idle, which the structure lock on the canvas enforces. Changes that must reach a
*running* loop (learning rate, batch size, watched weights, pause/stop) go through `LiveSettings` and
`threading.Event`s, never through the model.
"""

from .install import TrainingFeature

__all__ = ["TrainingFeature"]
