"""The student distribution, built once for the tests in this folder."""
import pytest

from autograder.student_dist import build_student_dist


@pytest.fixture(scope="session")
def student_dist(tmp_path_factory):
    return build_student_dist(tmp_path_factory.mktemp("dist") / "student")
