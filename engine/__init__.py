"""Backprop Studio's engine: a pure-NumPy neuron-graph trainer with exact gradients. No Qt here, ever."""
