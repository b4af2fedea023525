"""The autograding rows of `make bench`: how fast a class is graded.

A scratch course (build/bench-grading) gets N copies of the first module's reference
submission. It reports notebooks per minute for `python -m autograder grade` with 1 and 2
workers, and the overhead of grading over running the same notebook with plain nbclient
(one kernel start and every cell executed, nothing else): nbgrader's process start,
sanitizing, the gradebook, the sandbox launcher when installed, and feedback.
"""
import shutil
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.grade import grade_class  # noqa: E402
from autograder.modules import built_modules  # noqa: E402
from autograder.sample_class import filled_notebook  # noqa: E402


def plain_run_seconds(notebook, folder: Path, repeats: int) -> float:
    """Median seconds of one nbclient run of the notebook, kernel start included."""
    samples = []
    for _ in range(repeats):
        copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
        client = NotebookClient(copy, kernel_name="python3", timeout=600, allow_errors=True,
                                resources={"metadata": {"path": str(folder)}})
        started = time.perf_counter()
        client.execute()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def grading_rates(students: int, folder: Path) -> dict:
    module = built_modules()[0]
    notebook = filled_notebook(module)
    rates = {}
    for workers in (1, 2):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for number in range(students):
            path = folder / "submitted" / f"student{number:02d}" / module.name / f"{module.name}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(notebook, path)
        course = Course.open(folder)
        grade_class(course, workers=1, students=["student00"], feedback=False, stream=_Quiet())  # warm-up: assignment, caches
        started = time.perf_counter()
        results = grade_class(course, workers=workers, feedback=False, stream=_Quiet())
        seconds = time.perf_counter() - started
        assert all(r.status == "graded" for r in results), [r for r in results if r.status != "graded"]
        rates[workers] = (students / seconds * 60, seconds / students, course.kernel_name)
    plain = plain_run_seconds(notebook, folder, repeats=3)
    return {"module": module.name, "students": students, "rates": rates, "plain": plain}


class _Quiet:
    def write(self, _):
        pass

    def flush(self):
        pass

    def isatty(self):
        return False
