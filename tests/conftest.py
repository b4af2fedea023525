"""Shared fixtures. The expensive one, `graded_class`, autogrades every sample submission of
every built module once per test session; the course tests all read its results."""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from autograder.modules import built_modules
from autograder.sample_class import sample_submissions
from autograder.scratch_course import ScratchCourse


def _grade_module(module, folder):
    course = ScratchCourse(folder)
    course.add_module(module)
    for student, notebook in sample_submissions(module, bugs="all").items():
        course.submit(student, module, notebook)
    course.autograde(module)
    return course.cell_scores(module)


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """{module name: {student: {grade_id: (score, max_score)}}} from real `nbgrader autograde` runs.

    Each module is graded in a scratch course of its own, so modules run side by side (one
    nbgrader process per core) without sharing a SQLite gradebook.
    """
    modules = built_modules()
    workers = max(1, min(len(modules), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            m.name: pool.submit(_grade_module, m, tmp_path_factory.mktemp(f"course-{m.name}"))
            for m in modules
        }
        return {name: future.result() for name, future in futures.items()}
