"""`python -m engine COMMAND PROJECT ...`: the command line (see engine/cli.py and docs/cli.md)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
