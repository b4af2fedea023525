"""`make student-dist`: the course as a student (or a JupyterHub image) gets it.

    dist/student/
        README.md            how to install and work, for a student
        pyproject.toml       `pip install -e .` gives the `tito` command
        requirements.txt     the pinned versions the course is graded with
        release/NN_name/     the student notebooks: no solution, no hidden test
        data/                the course's data sets, if it has any
        autograder/          the tooling notebooks and tito import, and nothing else
        tinytorch/           an empty package: __init__.py files only, filled by exports

The tooling is a list of files, not the whole folder minus some: whatever is added to
autograder/ later (a grader, a test helper holding expected values) stays out until it is
listed here. tests/student/ checks that every `from autograder...` import in a release
notebook is shipped, and that no line of a solution or hidden test is.
"""
import shutil
import sys
from pathlib import Path

from .modules import PROJECT_ROOT
from .workspace import Distribution, write_empty_package

# The course tooling a student needs: what the notebooks import (gradcheck) and tito itself.
STUDENT_TOOLING = (
    "__init__.py", "modules.py", "notebook.py", "export.py", "gradcheck.py",
    "workspace.py", "steps.py", "doctor.py", "tito.py",
)
TOP_FILES = ("pyproject.toml", "requirements.txt")
OPTIONAL_FOLDERS = ("data",)

README = """\
# TinyTorch — your course folder

Build a deep-learning framework, `tinytorch`, on numpy alone: one notebook per module, from a
Tensor to a GPT. Each module's code lands in your own `tinytorch/` package, and the next
module builds on it.

Modules in this release: {available}.

## Set up (once)

```bash
python3 -m venv .venv && . .venv/bin/activate     # Python 3.11 or newer
pip install -r requirements.txt                    # the versions your work is graded with
pip install --no-deps -e .                         # the `tito` command
tito doctor                                        # checks Python, packages, kernel
```

This folder is your workspace: `tinytorch/` here is your package (empty until you export a
module). To work somewhere else: `tito init ~/tinytorch-work`, then work in that folder or
set `TINYTORCH_WORKSPACE` to it.

## Work on a module

```bash
tito module start 01 --open     # copies the notebook to notebooks/01_tensor/ and opens JupyterLab
tito module test 01             # runs it in a fresh kernel: every graded step, pass/fail, points
tito module complete 01         # tests, and exports into tinytorch/ once every step passes
tito status                     # where you are in the nineteen modules
```

Fill in the cells that say `# YOUR CODE HERE`, keep the test cells as they are, and run the
test cell after each step. `tito module test` runs the visible tests; hidden tests (random
shapes, numerical gradient checks) run when your work is graded, so make your code right,
not just green. Module N needs modules 1..N-1 exported: `tito module start` tells you which
are missing.

On the course JupyterHub this is already installed: open a terminal and run the same
commands; assignments also arrive through the Assignments tab (fetch, then submit).
"""


def build_student_dist(out: Path, root: Path = PROJECT_ROOT) -> Path:
    """Write the student distribution into out (recreated); return out."""
    out, root = Path(out), Path(root)
    dist = Distribution(root)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")
    shutil.copytree(root / "release", out / "release", ignore=ignore)
    for folder in OPTIONAL_FOLDERS:
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder, ignore=ignore)
    (out / "autograder").mkdir()
    for name in STUDENT_TOOLING:
        shutil.copy2(root / "autograder" / name, out / "autograder" / name)
    for name in TOP_FILES:
        shutil.copy2(root / name, out / name)
    write_empty_package(out)
    available = ", ".join(m.name for m in dist.available()) or "none yet"
    (out / "README.md").write_text(README.format(available=available), encoding="utf-8")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else PROJECT_ROOT / "dist" / "student")
    build_student_dist(out)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"Student distribution: {out} ({files} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
