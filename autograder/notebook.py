"""Read an authored module (jupytext percent format) into a clean nbgrader notebook.

The authored file keeps nbgrader's cell metadata as jupytext cell options, for example
`# %% nbgrader={"grade": true, "grade_id": "tensor-matmul", ...}`. Reading it gives a
notebook with jupytext's layout hints and random cell ids; `read_authored` drops the hints
and gives every cell a stable id, so that building twice writes the same bytes.
"""
import re
from pathlib import Path

import jupytext
import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
KEPT_CELL_METADATA = ("nbgrader", "tags")  # all else is jupytext's layout bookkeeping

SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
GRADE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class AuthoringError(ValueError):
    """A module source breaks a rule of the course format; the message says where."""


def read_authored(path: Path) -> nbformat.NotebookNode:
    """The instructor notebook for one module source, validated."""
    path = Path(path)
    try:
        nb = jupytext.read(path, fmt="py:percent")
    except Exception as error:  # jupytext raises many types; all mean "cannot parse"
        raise AuthoringError(f"{path}: cannot read as a jupytext percent notebook: {error}") from error
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for index, cell in enumerate(nb.cells):
        cell.metadata = nbformat.from_dict(
            {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
        )
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = grade_id or f"{cell.cell_type}-{index:03d}"
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    check_nbgrader_cells(nb, path)
    return nb


def _blocks_balanced(source: str, markers) -> bool:
    depth = 0
    for line in source.splitlines():
        if line.strip() == markers[0]:
            depth += 1
        elif line.strip() == markers[1]:
            depth -= 1
        if depth not in (0, 1):
            return False
    return depth == 0


def check_nbgrader_cells(nb, where) -> None:
    """Raise AuthoringError for the mistakes that would silently break grading."""
    seen = set()
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        here = f"{where}, cell {index + 1}"
        has_solution = any(m in cell.source for m in SOLUTION)
        has_hidden = any(m in cell.source for m in HIDDEN)
        if meta is None:
            if has_solution or has_hidden:
                raise AuthoringError(f"{here}: has nbgrader markers but no nbgrader metadata")
            continue
        if meta.get("schema_version") != 3:
            raise AuthoringError(f"{here}: nbgrader metadata needs schema_version 3")
        grade_id = meta.get("grade_id", "")
        if not GRADE_ID.match(grade_id):
            raise AuthoringError(f"{here}: grade_id {grade_id!r} must be lowercase words joined by - or _")
        if grade_id in seen:
            raise AuthoringError(f"{here}: grade_id {grade_id!r} is used twice")
        seen.add(grade_id)
        if meta.get("grade"):
            if not meta.get("locked") or not meta.get("points", 0) > 0:
                raise AuthoringError(f"{here}: graded cell {grade_id!r} must be locked and have points")
            if has_solution:
                raise AuthoringError(f"{here}: graded test cell {grade_id!r} holds a solution block")
        elif has_hidden:
            raise AuthoringError(f"{here}: hidden tests belong in a graded cell, {grade_id!r} is not one")
        if has_solution and not meta.get("solution"):
            raise AuthoringError(f"{here}: solution block in {grade_id!r}, which is not a solution cell")
        for markers in (SOLUTION, HIDDEN):
            if not _blocks_balanced(cell.source, markers):
                raise AuthoringError(f"{here}: {markers[0]} / {markers[1]} are not paired in {grade_id!r}")
