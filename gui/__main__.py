"""`python -m gui [PROJECT]` (or `backprop-studio`): the desktop app, on a ready example or on PROJECT."""

from __future__ import annotations

import sys

from .app import create_app
from .main_window import MainWindow


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    app = create_app(argv)
    window = MainWindow()
    if len(argv) > 1:
        window.files.open_path(argv[1])
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
