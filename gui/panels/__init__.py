"""Dock panels around the canvas. Panels do not import the editor; the main window wires them to it."""
