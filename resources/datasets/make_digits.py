"""Writes digits.csv, the 8×8 handwritten digits, from scikit-learn's bundled copy:
`python resources/datasets/make_digits.py` (needs scikit-learn, the `bench` extra).

The CSV is committed, so neither the app nor the tests need scikit-learn; this script only records where the
numbers come from. The data are the UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin and
C. Kaynak, 1998) as scikit-learn ships it (BSD-3-Clause): 1,797 images of 8×8 pixels, each pixel the count of
set pixels in a 4×4 block of a 32×32 bitmap, so a whole number from 0 to 16. Whole numbers keep the file small.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

HERE = Path(__file__).resolve().parent
SIDE = 8


def main(path: Path = HERE / "digits.csv") -> None:
    digits = load_digits()
    pixels = digits.data.astype(np.int64)
    assert pixels.shape == (1797, SIDE * SIDE) and (digits.data == pixels).all() and pixels.max() <= 16
    header = [f"pixel_{r}_{c}" for r in range(SIDE) for c in range(SIDE)] + ["digit"]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([*row, target] for row, target in zip(pixels.tolist(), digits.target.tolist(), strict=True))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "digits.csv")
