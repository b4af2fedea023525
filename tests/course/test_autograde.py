"""The grading invariants (DESIGN.md section 4), checked by real `nbgrader autograde` runs."""
import pytest

from autograder.modules import built_modules
from autograder.sample_class import load_bugs

MODULES = built_modules()
BUGS = [(m, bug) for m in MODULES for bug in load_bugs(m)]


def _total(grades):
    return sum(score for score, _ in grades.values()), sum(maximum for _, maximum in grades.values())


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_blank_release_notebook_scores_zero(graded_class, module):
    grades = graded_class[module.name]["blank"]
    passing = {cell: score for cell, (score, _) in grades.items() if score > 0}
    assert not passing, f"{module.name}: graded cells pass without any student code: {passing}"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_reference_solution_scores_full_marks(graded_class, module):
    grades = graded_class[module.name]["reference"]
    lost = {cell: f"{score:g}/{maximum:g}" for cell, (score, maximum) in grades.items() if score < maximum}
    assert not lost, f"{module.name}: the reference solution loses points in {lost}"
    assert _total(grades)[1] > 0


@pytest.mark.parametrize("module,bug", BUGS, ids=lambda x: getattr(x, "name", ""))
def test_planted_bug_loses_exactly_the_cells_it_breaks(graded_class, module, bug):
    grades = graded_class[module.name][f"bug-{bug.name}"]
    failed = {cell for cell, (score, maximum) in grades.items() if score < maximum}
    assert failed == set(bug.fails), (
        f"{module.name}, bug '{bug.name}' ({bug.explain}): cells that lost points {sorted(failed)}, "
        f"expected exactly {sorted(bug.fails)}"
    )


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.name)
def test_every_module_plants_at_least_one_bug(module):
    assert load_bugs(module), f"modules/{module.name}/bugs.toml should plant at least one plausible bug"
