"""The gradebook on SQLite (the default) and on a real PostgreSQL server (through db_url):
a few submissions graded twice give the same rows both times.

The PostgreSQL server is the one .ci/run starts (`.ci/postgres start`), found through
TINYTORCH_TEST_POSTGRES_URL; in CI a missing server fails this test instead of skipping it.
"""
import os
import uuid

import pytest

from autograder.modules import find_module
from autograder.sample_class import blank_notebook, filled_notebook

from conftest import in_ci, make_course, require_root, run_grade, sandbox_selected, submit

POSTGRES_URL = "TINYTORCH_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_db():
    """A fresh database on the test server, dropped afterwards."""
    url = os.environ.get(POSTGRES_URL)
    if not url:
        message = f"{POSTGRES_URL} is not set: start a server with `eval \"$(.ci/postgres start /tmp/tt-pg)\"`"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    import psycopg2

    name = f"gradebook_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    # SQLAlchemy 2.1 reads plain postgresql:// as psycopg 3; the course pins psycopg2.
    yield url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://", 1) + "/" + name
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


def _rows(db_url):
    """Every grade row of the gradebook, as plain values."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        return sorted((s.student.id, a.name, g.name, g.score, g.max_score)
                      for a in gradebook.assignments for s in a.submissions
                      for nb in s.notebooks for g in nb.grades)


def _grade_twice(course, db_url, sandbox_prefix):
    module = find_module("01")
    submit(course, "ada", module, filled_notebook(module))
    submit(course, "bob", module, blank_notebook(module))
    submit(course, "eve", module, "{ this is not a notebook")
    runs = []
    with sandbox_selected(sandbox_prefix):
        for _ in range(2):
            result = run_grade(course, "--workers", "2")
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            runs.append(_rows(db_url))
    first, second = runs
    assert first == second, "grading again must give the same gradebook"
    totals = {}
    for student, _, _, score, maximum in first:
        got, most = totals.get(student, (0, 0))
        totals[student] = (got + score, most + maximum)
    assert totals["ada"][0] == totals["ada"][1] > 0
    assert totals["bob"][0] == 0 and totals["eve"][0] == 0 and totals["eve"][1] == totals["ada"][1]
    return first


def test_sqlite_gradebook_is_the_same_after_grading_again(tmp_path, sandbox_prefix):
    require_root()
    course = make_course(tmp_path / "course")
    _grade_twice(course, "sqlite:///" + str(course / "gradebook.db"), sandbox_prefix)


def test_postgres_gradebook_gets_the_same_grades(tmp_path, sandbox_prefix, postgres_db):
    require_root()
    course = make_course(tmp_path / "course", db_url=postgres_db)
    rows = _grade_twice(course, postgres_db, sandbox_prefix)
    assert not (course / "gradebook.db").exists(), "nothing went to SQLite"
    assert len({row[0] for row in rows}) == 3
    assert "eve" in (course / "reports" / "report.md").read_text()
