"""Write data/digits/digits.npz from the copy of the digits data that scikit-learn ships.

Run once by a maintainer, not by the course: the .npz it writes is committed, so students
and graders never need scikit-learn or a network. From the project root:

    python data/digits/convert.py

If scikit-learn is importable it is used as is. Otherwise the script makes a temporary
virtual environment, installs scikit-learn there with pip, runs itself inside it, and
deletes the environment afterwards: nothing is installed into the project's environment.

The file holds
    images  uint8 (1797, 8, 8), values 0..16 (counts of "on" pixels in 4x4 blocks)
    labels  int64 (1797,), the digit 0..9 of each image
in scikit-learn's order. The script prints scikit-learn's description of the data set
(`load_digits().DESCR`), the source of the facts in README.md.
"""
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent / "digits.npz"


def convert() -> None:
    from sklearn import __version__ as sklearn_version
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images
    if images.shape != (1797, 8, 8) or images.min() < 0 or images.max() > 16 or np.any(images % 1):
        raise ValueError(f"unexpected digits data: shape {images.shape}, range {images.min()}..{images.max()}")
    np.savez_compressed(OUTPUT, images=images.astype(np.uint8), labels=digits.target.astype(np.int64))
    print(digits.DESCR)
    print(f"wrote {OUTPUT} from scikit-learn {sklearn_version}: "
          f"images {images.shape} uint8, labels counts {np.bincount(digits.target).tolist()}")


def convert_in_temporary_venv() -> None:
    with tempfile.TemporaryDirectory(prefix="digits-convert-") as folder:
        venv.create(folder, with_pip=True)
        python = str(Path(folder) / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "--quiet", "scikit-learn"], check=True)
        subprocess.run([python, __file__], check=True)


if __name__ == "__main__":
    try:
        import sklearn  # noqa: F401
    except ImportError:
        convert_in_temporary_venv()
    else:
        convert()
