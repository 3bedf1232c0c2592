"""Live plots of a training run. They take plain arrays (copies from a snapshot), never the engine's objects, so
they can be driven and tested without a network or a thread."""
