"""Run a student's notebook in a fresh kernel and score each graded step as nbgrader would.

`nbgrader validate` and `nbgrader autograde` execute the whole notebook in a new kernel and
then score every graded cell with `nbgrader.utils.determine_grade`: an error or any output
on stderr scores 0, a number left as the cell's value is partial credit, anything else full
points. This does the same, with the kernel's PYTHONPATH chosen by the caller (the student's
own tinytorch first), and keeps the first line of each failure for the student to read.

Only the visible tests are in a student's notebook; the hidden ones run when it is graded.
"""
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

CELL_TIMEOUT = 60  # seconds, as nbgrader_config.py's Execute.timeout for grading


@dataclass
class Step:
    grade_id: str
    score: float
    max_score: float
    failure: str = ""  # first line of what went wrong; empty when the step passed

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass
class TestRun:
    steps: list = field(default_factory=list)
    first_error: str = ""  # the first error outside graded cells (often the real cause)
    edited_locked: list = field(default_factory=list)  # grade_ids of changed locked cells

    @property
    def score(self) -> float:
        return sum(s.score for s in self.steps)

    @property
    def max_score(self) -> float:
        return sum(s.max_score for s in self.steps)

    @property
    def all_passed(self) -> bool:
        return bool(self.steps) and all(s.passed for s in self.steps)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def failure_of(cell) -> str:
    """What made a cell fail, in one line: the exception, or the first line it wrote to stderr."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            message = _first_line(output.evalue)
            return f"{output.ename}: {message}" if message else output.ename
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stderr":
            return f"wrote to stderr (a graded cell must not): {_first_line(output.text)}"
    return ""


def execute(notebook: Path, env: dict, timeout: int = CELL_TIMEOUT):
    """The notebook executed top to bottom in a new python3 kernel, errors kept in the cells."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, resources={"metadata": {"path": str(Path(notebook).parent)}},
    )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        # The kernel process's own stderr (ipykernel's start-up notices) is not the
        # notebook's: what cells write to stderr still arrives through the kernel protocol.
        client.execute(stderr=subprocess.DEVNULL)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def score(executed, release=None) -> TestRun:
    """Score an executed notebook's graded cells; compare locked cells with the release's."""
    run = TestRun()
    original = {}
    if release is not None:
        original = {
            cell.metadata["nbgrader"]["grade_id"]: cell for cell in release.cells
            if cell.metadata.get("nbgrader", {}).get("locked")
        }
    seen = set()
    for index, cell in enumerate(executed.cells):
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id in original and original[grade_id].source != cell.source:
            run.edited_locked.append(grade_id)
        if meta.get("grade") and cell.cell_type == "code":
            seen.add(grade_id)
            got, out_of = determine_grade(cell)
            run.steps.append(Step(grade_id, float(got), float(out_of), "" if got >= out_of else (
                failure_of(cell) or "scored less than full points")))
        elif cell.cell_type == "code" and not run.first_error:
            if any(output.output_type == "error" for output in cell.get("outputs", [])):
                run.first_error = f"cell {index + 1}: {failure_of(cell)}"
    for grade_id, cell in original.items():  # graded cells the student deleted
        if cell.metadata["nbgrader"].get("grade") and grade_id not in seen:
            run.steps.append(Step(grade_id, 0.0, float(cell.metadata["nbgrader"]["points"]),
                                  "this test cell is missing from your notebook (grading puts it back)"))
    return run
