"""Hostile and broken submissions, made from a module's own sample submissions.

Each entry says what the student did and what grading must give: "full" (the reference's
marks: the hostile cell fails alone and the rest is graded), "zero" (nothing passes),
"standin" (nbgrader could not grade it: every graded cell 0, with a reason matching
one of `reasons`), or "full-but" (full marks except its first graded cell, which scores 0).
"""
import copy
from dataclasses import dataclass

import nbformat

from autograder.sample_class import blank_notebook, filled_notebook


@dataclass(frozen=True)
class Hostile:
    name: str
    expect: str        # full | zero | standin | full-but
    reasons: tuple = ()  # for standin: the reason must contain one of these


INFINITE_LOOP = "while True:\n    pass\n"
SWALLOW_BUSY = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass\n"
SWALLOW_SLEEP = ("import time\nwhile True:\n    try:\n        time.sleep(1000)\n"
                 "    except KeyboardInterrupt:\n        pass\n")
MEMORY_BOMB = ("def hog():\n    blocks = []\n    while True:\n        blocks.append(bytearray(64 << 20))\n"
               "try:\n    hog()\nexcept MemoryError:\n    print('MemoryError: the memory limit held')\n")
FORK_BOMB = ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n")
OUTPUT_FLOOD = "for _ in range(200):\n    print('x' * 250_000)\n"
CHEAT = '''import json, os, tinytorch
stolen = 0
for path in ["../../../source/{m}/{m}.ipynb", "../../../gradebook.db", "../../../submitted",
             os.path.join(os.path.dirname(os.path.dirname(tinytorch.__file__)), "source/{m}/{m}.ipynb"),
             os.path.join(os.path.dirname(os.path.dirname(tinytorch.__file__)), "modules/{m}/{m}.py")]:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        print("READ", path)
        if path.endswith(".ipynb"):
            for cell in json.loads(data)["cells"]:
                if cell["metadata"].get("nbgrader", {{}}).get("solution"):
                    exec("".join(cell["source"]), globals())
                    stolen += 1
    except OSError as error:
        print("blocked:", path, type(error).__name__)
print("solutions stolen:", stolen)
'''

CATALOG = {
    "infinite-loop": Hostile("infinite-loop", "full"),
    # The CPU limit stops it, unless a loaded machine gives it so little CPU that the
    # notebook's wall-clock limit comes first (test_parts checks the CPU limit on its own).
    "swallow-interrupt": Hostile("swallow-interrupt", "standin",
                                 reasons=("CPU time limit", "time limit for one notebook")),
    "swallow-interrupt-asleep": Hostile("swallow-interrupt-asleep", "standin",
                                        reasons=("time limit for one notebook",)),
    "memory-bomb": Hostile("memory-bomb", "full"),
    "fork-bomb": Hostile("fork-bomb", "standin", reasons=("fork bomb",)),
    "output-flood": Hostile("output-flood", "full"),
    "deleted-graded-cell": Hostile("deleted-graded-cell", "full"),
    "edited-locked-cell": Hostile("edited-locked-cell", "zero"),
    "renamed-grade-id": Hostile("renamed-grade-id", "full-but"),
    "invalid-json": Hostile("invalid-json", "standin", reasons=("not a readable notebook",)),
    "empty-file": Hostile("empty-file", "standin", reasons=("empty file",)),
    "reads-source-and-gradebook": Hostile("reads-source-and-gradebook", "zero"),
}


def _graded(notebook):
    return [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _with_cell_after_imports(notebook, source):
    """The notebook with `source` as a new, unlocked code cell after its first code cell."""
    notebook = copy.deepcopy(notebook)
    first = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    notebook.cells.insert(first + 1, nbformat.v4.new_code_cell(source))
    return notebook


def first_graded_cell(module) -> str:
    return _graded(filled_notebook(module))[0].metadata["nbgrader"]["grade_id"]


def hostile_submission(module, name):
    """The notebook (or raw text, for broken files) a hostile student hands in."""
    reference = filled_notebook(module)
    if name == "infinite-loop":
        return _with_cell_after_imports(reference, INFINITE_LOOP)
    if name == "swallow-interrupt":
        return _with_cell_after_imports(reference, SWALLOW_BUSY)
    if name == "swallow-interrupt-asleep":
        return _with_cell_after_imports(reference, SWALLOW_SLEEP)
    if name == "memory-bomb":
        return _with_cell_after_imports(reference, MEMORY_BOMB)
    if name == "fork-bomb":
        return _with_cell_after_imports(reference, FORK_BOMB)
    if name == "output-flood":
        return _with_cell_after_imports(reference, OUTPUT_FLOOD)
    if name == "deleted-graded-cell":
        notebook = copy.deepcopy(reference)
        notebook.cells.remove(_graded(notebook)[0])
        return notebook
    if name == "edited-locked-cell":
        notebook = blank_notebook(module)
        for cell in _graded(notebook):
            cell.source = "pass  # the tests are gone"
        return notebook
    if name == "renamed-grade-id":
        notebook = copy.deepcopy(reference)
        cell = _graded(notebook)[0]
        cell.metadata["nbgrader"]["grade_id"] += "-renamed"
        cell.source = "raise AssertionError('not the real test')"
        return notebook
    if name == "invalid-json":
        return '{"cells": [ this is not JSON'
    if name == "empty-file":
        return ""
    if name == "reads-source-and-gradebook":
        return _with_cell_after_imports(blank_notebook(module), CHEAT.format(m=module.name))
    raise KeyError(name)
