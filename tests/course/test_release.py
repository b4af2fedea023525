"""The student release: no solution or hidden test text, and every graded cell intact."""
import nbformat
import pytest

from autograder.notebook import HIDDEN, SOLUTION


def _graded(notebook):
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")
    }


def _split_lines(source):
    """(lines inside solution or hidden-test blocks, lines outside them), stripped."""
    inside, outside, depth = [], [], 0
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (SOLUTION[0], HIDDEN[0]):
            depth += 1
        elif stripped in (SOLUTION[1], HIDDEN[1]):
            depth -= 1
        else:
            (inside if depth else outside).append(stripped)
    return inside, outside


@pytest.fixture
def notebooks(module):
    return (module, nbformat.read(module.source_notebook, as_version=4),
            nbformat.read(module.release_notebook, as_version=4))


def test_release_holds_no_solution_or_hidden_test_text(notebooks):
    module, source, release = notebooks
    release_text = "\n".join(cell.source for cell in release.cells)
    for marker in SOLUTION + HIDDEN:
        assert marker not in release_text, f"{module.name}: release contains '{marker}'"
    secret, given = set(), set()
    for cell in source.cells:
        inside, outside = _split_lines(cell.source)
        secret.update(inside)
        given.update(outside)
    release_lines = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    # A secret line that the source also shows outside any block (`else:`, a repeated
    # assertion) gives nothing away; short lines like `pass` carry no solution either.
    leaked = sorted(line for line in secret - given if len(line) > 12 and line in release_lines)
    assert not leaked, f"{module.name}: release shows solution or hidden-test lines: {leaked[:5]}"


def test_release_keeps_every_graded_cell_locked_with_its_points(notebooks):
    module, source, release = notebooks
    source_cells, release_cells = _graded(source), _graded(release)
    assert set(source_cells) == set(release_cells), f"{module.name}: graded cells differ"
    for grade_id, cell in source_cells.items():
        released = release_cells[grade_id].metadata["nbgrader"]
        assert released["points"] == cell.metadata["nbgrader"]["points"], grade_id
        assert released["locked"] is True, f"{module.name}: {grade_id} is not locked in the release"


def test_every_graded_cell_has_visible_and_hidden_tests(notebooks):
    module, source, _ = notebooks
    graded = _graded(source)
    assert len(graded) >= 6, f"{module.name}: {len(graded)} graded cells, the course asks for at least six"
    for grade_id, cell in graded.items():
        visible = cell.source.split(HIDDEN[0])[0]
        assert "assert" in visible, f"{module.name}: {grade_id} has no visible test"
        assert HIDDEN[0] in cell.source, f"{module.name}: {grade_id} has no hidden test block"
