"""Sample submissions for a module: what a student hands in, made from the course itself.

- "reference": the release notebook with every solution cell filled in from the instructor
  notebook, as a student who got everything right would hand it in;
- "blank": the release notebook untouched;
- one buggy submission per planted bug in modules/NN/bugs.toml: the reference submission
  with one plausible mistake (a wrong sign, a missing reduction, a transposed gradient).

Each bug names the graded cells it must fail, so the tests can check both directions:
grading catches the bug, and blames nothing else.
"""
import copy
import tomllib
from dataclasses import dataclass

import nbformat

from .modules import Module
from .notebook import SOLUTION


@dataclass(frozen=True)
class Bug:
    name: str
    explain: str
    find: str
    replace: str
    fails: tuple


def load_bugs(module: Module) -> list:
    if not module.bugs.is_file():
        return []
    with open(module.bugs, "rb") as handle:
        entries = tomllib.load(handle).get("bug", [])
    return [Bug(e["name"], e["explain"], e["find"], e["replace"], tuple(e["fails"])) for e in entries]


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION)


def filled_notebook(module: Module):
    """The release notebook with each solution cell holding the reference code."""
    release = nbformat.read(module.release_notebook, as_version=4)
    source = nbformat.read(module.source_notebook, as_version=4)
    solutions = {
        cell.metadata["nbgrader"]["grade_id"]: _without_markers(cell.source)
        for cell in source.cells if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell.source = solutions[grade_id]
    return release


def blank_notebook(module: Module):
    return nbformat.read(module.release_notebook, as_version=4)


def buggy_notebook(module: Module, bug: Bug):
    """The filled notebook with `bug.find` replaced by `bug.replace` in exactly one place
    of its solution cells (tests and prose may quote the same code)."""
    notebook = copy.deepcopy(filled_notebook(module))
    hits = [
        cell for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution") and bug.find in cell.source
    ]
    count = sum(cell.source.count(bug.find) for cell in hits)
    if count != 1:
        raise ValueError(f"{module.bugs}: bug {bug.name!r} must match exactly once, matches {count} times")
    hits[0].source = hits[0].source.replace(bug.find, bug.replace)
    return notebook


def sample_submissions(module: Module, bugs: str = "all") -> dict:
    """{student id: notebook}: reference, blank, and the planted bugs ('all', 'first' or 'none')."""
    submissions = {"reference": filled_notebook(module), "blank": blank_notebook(module)}
    planted = load_bugs(module)
    if bugs == "first" and planted:
        submissions["buggy"] = buggy_notebook(module, planted[0])
    elif bugs == "all":
        for bug in planted:
            submissions[f"bug-{bug.name}"] = buggy_notebook(module, bug)
    return submissions
