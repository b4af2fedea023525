"""Shared fixtures. The expensive one, `graded_class`, autogrades every sample submission of
every built module once per test session; the course tests all read its results.

`pytest tests --module 09_spatial` (repeatable) limits the course tests, and the grading
they need, to the modules named: what a module author runs while working on one module.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.modules import built_modules, find_module
from autograder.sample_class import load_bugs, sample_submissions
from autograder.scratch_course import ScratchCourse


def pytest_addoption(parser):
    parser.addoption("--module", action="append", default=[], metavar="NN_name",
                     help="run the course tests for this module only (repeatable)")


def selected_modules(config):
    names = config.getoption("--module")
    return [find_module(name) for name in names] if names else built_modules()


def pytest_generate_tests(metafunc):
    """Tests that take `module` run once per selected module; `planted_bug` once per bug."""
    modules = selected_modules(metafunc.config)
    if "planted_bug" in metafunc.fixturenames:
        bugs = [(module, bug) for module in modules for bug in load_bugs(module)]
        metafunc.parametrize("planted_bug", bugs, ids=[f"{m.name}-{b.name}" for m, b in bugs])
    elif "module" in metafunc.fixturenames:
        metafunc.parametrize("module", modules, ids=[m.name for m in modules])


def _grade_module(module, folder):
    course = ScratchCourse(folder)
    course.add_module(module)
    for student, notebook in sample_submissions(module, bugs="all").items():
        course.submit(student, module, notebook)
    course.autograde(module)
    return course.cell_scores(module), course.error_outputs(module, "reference")


@pytest.fixture(scope="session")
def graded_runs(tmp_path_factory, pytestconfig):
    """{module name: (cell scores, errors raised in the reference notebook)} from real
    `nbgrader autograde` runs of every sample submission.

    Each module is graded in a scratch course of its own, so modules run side by side (one
    nbgrader process per core) without sharing a SQLite gradebook.
    """
    modules = selected_modules(pytestconfig)
    workers = max(1, min(len(modules), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            m.name: pool.submit(_grade_module, m, tmp_path_factory.mktemp(f"course-{m.name}"))
            for m in modules
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="session")
def graded_class(graded_runs):
    """{module name: {student: {grade_id: (score, max_score)}}}."""
    return {name: scores for name, (scores, _) in graded_runs.items()}


@pytest.fixture(scope="session")
def reference_errors(graded_runs):
    """{module name: ['cell N: Name: message', ...]}: what raised in the graded reference."""
    return {name: errors for name, (_, errors) in graded_runs.items()}
