"""Fixtures of the grading tests: the sandbox kernel, test courses, and one simulated class.

The sandbox kernelspec is installed into a folder of the test session (never into the
environment), and JUPYTER_PATH points nbgrader at it only while a fixture grades, so the
rest of the suite runs as it would without these tests. Test courses lower the limits
(per-cell timeout, CPU seconds) so hostile notebooks cost seconds, not minutes.
"""
import contextlib
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.modules import PROJECT_ROOT, built_modules, find_module
from autograder.sample_class import blank_notebook, buggy_notebook, filled_notebook, load_bugs

sys.path.insert(0, str(Path(__file__).parent))
from hostile import CATALOG, hostile_submission  # noqa: E402

CELL_TIMEOUT = 10      # seconds a cell may run (the slowest reference cell takes ~2 s)
CPU_SECONDS = 30       # CPU time of a whole notebook run in the sandbox
NOTEBOOK_TIMEOUT = 120  # the grade command's wall-clock limit for one notebook
CLASS_SIZE = 30

TEST_CONFIG = """\
# A test course: the real course's configuration, with its own root and gradebook and
# limits low enough that hostile notebooks are stopped in seconds.
import os
c = get_config()
load_subconfig({project_config!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
c.Execute.timeout = {cell_timeout}
os.environ["TINYTORCH_SANDBOX_CPU_SECONDS"] = "{cpu}"
os.environ["TINYTORCH_SANDBOX_MEMORY_MB"] = "2048"
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_root():
    """The user switch needs root; CI runs as root, so there this is never a skip."""
    if os.geteuid() != 0:
        if in_ci():
            pytest.fail("the grading tests run as root in CI (the sandbox switches users)")
        pytest.skip("the sandbox's user switch needs root")


def make_course(folder: Path, db_url: str = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(TEST_CONFIG.format(
        project_config=str(PROJECT_ROOT / "nbgrader_config.py"), root=str(folder),
        db_url=db_url or "sqlite:///" + str(folder / "gradebook.db"),
        cell_timeout=CELL_TIMEOUT, cpu=CPU_SECONDS))
    return folder


def submit(course: Path, student: str, module, notebook) -> None:
    path = course / "submitted" / student / module.name / f"{module.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        path.write_text(notebook, encoding="utf-8")
    else:
        nbformat.write(notebook, path)


@pytest.fixture(scope="session")
def sandbox_prefix(tmp_path_factory):
    """`python -m autograder sandbox install --prefix` into the session's own folder."""
    prefix = tmp_path_factory.mktemp("sandbox-prefix")
    result = subprocess.run([sys.executable, "-m", "autograder", "sandbox", "install", "--prefix", str(prefix)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return prefix


@contextlib.contextmanager
def sandbox_selected(prefix: Path):
    """nbgrader (and the course config) see the sandbox kernelspec inside this block."""
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(prefix / "share" / "jupyter")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH")
        else:
            os.environ["JUPYTER_PATH"] = saved


def run_grade(course: Path, *args, timeout=3000) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "grade", str(course), *args],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)


def class_modules() -> list:
    wanted = [m for m in (find_module(n) for n in ("01", "02", "03")) if m.authored.is_file()]
    return wanted if len(wanted) == 3 else built_modules()[:3]


# What hostile students hand in, per module of the class: every kind in the first module,
# a few in the others (the expensive ones, which wait for a limit, only once).
HOSTILE_BY_MODULE = (
    tuple(CATALOG),
    ("output-flood", "renamed-grade-id", "deleted-graded-cell", "invalid-json", "memory-bomb"),
    ("fork-bomb", "edited-locked-cell", "empty-file", "infinite-loop"),
)
SHARED_BUG_COPIES = 4  # students of the second module who all make its first planted bug


def class_roles(index: int, module) -> list:
    """Thirty roles for one module: reference, blank, each planted bug, hostile kinds, a bug
    several students share, and references for the rest; shuffled over the students."""
    bugs = load_bugs(module)
    roles = ["reference", "blank"] + [f"bug:{bug.name}" for bug in bugs]
    roles += [f"hostile:{name}" for name in HOSTILE_BY_MODULE[index]]
    if index == 1 and bugs:
        roles += [f"bug:{bugs[0].name}"] * SHARED_BUG_COPIES
    roles += ["reference"] * (CLASS_SIZE - len(roles))
    assert len(roles) == CLASS_SIZE, f"{module.name}: {len(roles)} roles"
    random.Random(index).shuffle(roles)
    return roles


def notebook_for(module, role):
    kind, _, name = role.partition(":")
    if kind == "reference":
        return filled_notebook(module)
    if kind == "blank":
        return blank_notebook(module)
    if kind == "bug":
        return buggy_notebook(module, next(b for b in load_bugs(module) if b.name == name))
    return hostile_submission(module, name)


@dataclass
class GradedClass:
    course: Path
    modules: list
    roles: dict           # (student, module name) -> role
    result: subprocess.CompletedProcess
    seconds: float

    def scores(self) -> dict:
        """(student, module) -> {grade_id: (score, max_score)} from the gradebook."""
        from nbgrader.api import Gradebook

        found = {}
        with Gradebook("sqlite:///" + str(self.course / "gradebook.db")) as gradebook:
            for module in self.modules:
                for submission in gradebook.find_assignment(module.name).submissions:
                    found[(submission.student.id, module.name)] = {
                        g.name: (g.score, g.max_score) for nb in submission.notebooks for g in nb.grades}
        return found


@pytest.fixture(scope="session")
def simulated_class(sandbox_prefix, tmp_path_factory):
    """Thirty students x three modules, graded once by `python -m autograder grade --workers 2`."""
    require_root()
    course = make_course(tmp_path_factory.mktemp("class") / "course")
    modules = class_modules()
    roles = {}
    for index, module in enumerate(modules):
        for number, role in enumerate(class_roles(index, module), start=1):
            student = f"s{number:02d}"
            roles[(student, module.name)] = role
            submit(course, student, module, notebook_for(module, role))
    started = time.monotonic()
    with sandbox_selected(sandbox_prefix):
        result = run_grade(course, "--workers", "2", "--timeout", str(NOTEBOOK_TIMEOUT))
    graded = GradedClass(course, modules, roles, result, time.monotonic() - started)
    print(f"\ngraded {len(roles)} notebooks in {graded.seconds:.0f} s")
    return graded
