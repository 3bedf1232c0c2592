"""Backprop Studio's desktop interface (PySide6 + pyqtgraph); it drives the engine only through its public API.

NumPy asks Linux for transparent huge pages for every array of 4 MB or more (`madvise`). On the 2-core VM the
first touch of such memory then costs up to 17× more (34 MB copied: 21 ms with small pages, 239–361 ms with huge
ones, the kernel compacting memory to find them), and a large network allocates its arrays on the GUI thread
when it opens; training is no faster with them (784-512-512-10 and 784-640-400-250-10 within ±3 %). So the app
turns them off, through NumPy's documented switch, read once when NumPy loads: importing this package first
(`python -m gui`, the `backprop-studio` script) is enough. docs/benchmarks.md has the numbers.
"""

import os

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
