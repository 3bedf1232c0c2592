"""Backprop Studio's desktop interface (PySide6 + pyqtgraph); it drives the engine only through its public API."""
