"""`python -m autograder grade COURSE_DIR`: autograde every submission of a class.

Each submission is graded by its own `nbgrader autograde MODULE --student S --force`, N at a
time (nbgrader is not thread-safe; the threads here only wait on those processes). Nothing
a submission does can stop the class:

- a notebook nbgrader cannot grade at all (empty, not JSON, a kernel that died, past the
  per-notebook time limit) is graded again as a stand-in: the course's release notebook
  with every solution cell raising "This submission could not be graded: <reason>", which
  scores 0 in every graded cell (the blank release scores 0, DESIGN.md section 4) and leaves
  the reason in the student's feedback;
- an autograde that fails on "database is locked" (SQLite, several writers) is run again;
- a submission's failure touches only its own rows: every other grade is kept.

Then it checks that every submission has a score in the gradebook, writes the reports
(autograder/reports.py) and the students' feedback, and exits 0 iff every submission has
a score. `--force` semantics: running it again grades everything again, to the same rows.
"""
import json
import random
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .course import Course
from .modules import PROJECT_ROOT

RESULTS = Path("reports") / "results.json"
STANDIN = Path(".grading") / "standin"  # a second submitted/ folder, for stand-ins
LOCK_RETRIES = 4


@dataclass
class Result:
    student: str
    module: str
    status: str = "graded"  # graded | stand-in | missing
    reason: str = ""        # why a stand-in was graded, or why nothing could be
    seconds: float = 0.0


# --- The assignments -------------------------------------------------------------------------

def ensure_assignment(course: Course, module: str) -> None:
    """Make sure the gradebook knows the assignment and the course has its release notebook,
    generating it from the course's source/ (copied from the project's when it has none)."""
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(course.db_url) as gradebook:
            known = bool(gradebook.find_assignment(module).notebooks)
    except MissingEntry:
        known = False
    release = course.folder / "release" / module / f"{module}.ipynb"
    if known and release.is_file():
        return
    source = course.folder / "source" / module
    if not source.is_dir():
        project_source = PROJECT_ROOT / "source" / module
        if not project_source.is_dir():
            raise FileNotFoundError(f"no source/{module} in {course.folder} or in the project")
        shutil.copytree(project_source, source)
    result = course.nbgrader("generate_assignment", module, "--force")
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {module} failed:\n{_tail(result.stderr)}")


# --- One submission --------------------------------------------------------------------------

def unreadable(path: Path) -> str:
    """Why nbgrader could not even read the notebook, or '' if it can."""
    data = path.read_bytes()
    if not data.strip():
        return "the submitted notebook is an empty file"
    try:
        nbformat.reads(data.decode("utf-8", errors="replace"), as_version=4)
    except Exception as error:  # nbformat raises several kinds; all mean the same here
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"the submitted notebook is not a readable notebook ({first[:200]})"
    return ""


def failure_reason(result, timeout: float) -> str:
    """A readable reason from a failed nbgrader run: the sandbox launcher's line about its
    kernel if there is one, else the exception nbgrader's traceback ends with."""
    if result.returncode is None:
        return f"grading was stopped after {timeout:g} s, the time limit for one notebook"
    lines = [line.strip() for line in (result.stderr or "").splitlines() if line.strip()]
    for line in lines:
        if line.startswith("tinytorch-sandbox:"):
            return line.split(":", 1)[1].strip()
    if any("DeadKernelError" in line for line in lines):
        return "the kernel died while running the notebook"
    # The last `package.module.SomeError: message` line of nbgrader's traceback.
    raised = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Interrupt)\b.*:", line)]
    if raised:
        name, _, message = raised[-1].partition(": ")
        return f"{name.rsplit('.', 1)[-1]}: {message}"[:300]
    return (lines or ["nbgrader failed without a message"])[-1][:300]


def _autograde(course: Course, student: str, module: str, timeout: float, *extra):
    for attempt in range(LOCK_RETRIES):
        result = course.nbgrader("autograde", module, f"--student={student}", "--force", *extra, timeout=timeout)
        if result.returncode != 0 and "database is locked" in (result.stderr or ""):
            time.sleep(random.uniform(0.5, 2.0) * (attempt + 1))  # another worker is writing
            continue
        return result
    return result


def standin_notebook(course: Course, module: str, reason: str):
    """The release notebook with every solution cell raising the reason (a first cell too,
    so it is the first thing the student reads in the feedback)."""
    notebook = nbformat.read(course.folder / "release" / module / f"{module}.ipynb", as_version=4)
    message = f"This submission could not be graded: {reason}"
    raising = f"raise RuntimeError({message!r})"
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = raising
    notebook.cells.insert(0, nbformat.v4.new_code_cell(raising))
    return notebook


def grade_submission(course: Course, student: str, module: str, timeout: float) -> Result:
    started = time.monotonic()
    outcome = Result(student, module)
    reason = unreadable(course.submitted_notebook(student, module))
    if not reason:
        result = _autograde(course, student, module, timeout)
        if result.returncode != 0:
            reason = failure_reason(result, timeout)
    if reason:
        outcome.status, outcome.reason = "stand-in", reason
        folder = course.folder / STANDIN / student / module
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nbformat.write(standin_notebook(course, module, reason), folder / f"{module}.ipynb")
        stamp = course.submitted_notebook(student, module).parent / "timestamp.txt"
        if stamp.is_file():
            shutil.copy(stamp, folder)
        result = _autograde(course, student, module, timeout, f"--CourseDirectory.submitted_directory={STANDIN}")
        if result.returncode != 0:
            outcome.status = "missing"
            outcome.reason += f"; the stand-in failed too: {failure_reason(result, timeout)}"
    outcome.seconds = time.monotonic() - started
    return outcome


# --- The class -------------------------------------------------------------------------------

def scored(course: Course, pairs) -> set:
    """The (student, module) pairs with a score for every graded cell of the assignment."""
    from nbgrader.api import Gradebook, MissingEntry

    done = set()
    with Gradebook(course.db_url) as gradebook:
        for student, module in pairs:
            try:
                submission = gradebook.find_submission(module, student)
            except MissingEntry:
                continue
            cells = {cell.name for nb in gradebook.find_assignment(module).notebooks for cell in nb.grade_cells}
            grades = {grade.name: grade.score for nb in submission.notebooks for grade in nb.grades}
            if cells and all(grades.get(cell) is not None for cell in cells):
                done.add((student, module))
    return done


class Progress:
    """A bar on a terminal; one line per finished submission otherwise (CI logs)."""

    def __init__(self, total: int, stream=sys.stdout):
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()
        self.started = time.monotonic()

    def update(self, result: Result) -> None:
        self.done += 1
        note = f"{result.status}" + (f": {result.reason}" if result.reason else "")
        if self.tty:
            filled = int(30 * self.done / max(self.total, 1))
            rate = self.done / max(time.monotonic() - self.started, 1e-9) * 60
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} "
                              f"({rate:.1f}/min) {result.student} {result.module}: {note[:60]}\033[K")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {result.student} {result.module}: "
                              f"{note} ({result.seconds:.1f} s)\n")
        self.stream.flush()


def grade_class(course: Course, modules=(), students=(), workers: int = 1, timeout: float = 1800,
                feedback: bool = True, stream=sys.stdout) -> list:
    pairs = course.submissions(modules, students)
    if not pairs:
        raise FileNotFoundError(f"no submissions under {course.folder / 'submitted'} match")
    for module in sorted({module for _, module in pairs}):
        ensure_assignment(course, module)
    protect(course)
    if course.kernel_name != "tinytorch-sandbox":
        stream.write(f"warning: notebooks run in the '{course.kernel_name}' kernel, not the sandbox: "
                     "student code runs with the grader's rights (python -m autograder sandbox install)\n")
    progress = Progress(len(pairs), stream)
    results = []
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [pool.submit(grade_submission, course, s, m, timeout) for s, m in pairs]
        for future in as_completed(futures):
            results.append(future.result())
            progress.update(results[-1])
    _clean_sandbox(course)
    have = scored(course, pairs)
    for result in results:
        if (result.student, result.module) not in have:
            result.status = "missing"
            result.reason = result.reason or "no score in the gradebook after autograde"
    results.sort(key=lambda r: (r.module, r.student))
    save_results(course, results)
    if feedback:
        for module in sorted({m for _, m in pairs}):
            course.nbgrader("generate_feedback", module, "--force")
    from .reports import write_reports

    for path in write_reports(course):
        stream.write(f"wrote {path}\n")
    protect(course)  # reports/ and feedback/ are new since the first kernel locked the course
    return results


def save_results(course: Course, results: list) -> None:
    """Merge this run's outcomes into reports/results.json (a run may grade part of a class)."""
    path = course.folder / RESULTS
    path.parent.mkdir(exist_ok=True)
    saved = json.loads(path.read_text()) if path.is_file() else {}
    for result in results:
        saved.setdefault(result.module, {})[result.student] = asdict(result)
    path.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n")


def load_results(folder: Path) -> dict:
    path = Path(folder) / RESULTS
    return json.loads(path.read_text()) if path.is_file() else {}


def protect(course: Course) -> None:
    """Deny the sandbox group the course's gradebook, sources, submissions and reports before
    the first kernel starts (each kernel's launcher does it again, for plain nbgrader too)."""
    from . import sandbox

    if course.kernel_name == sandbox.KERNEL_NAME and sandbox.running_as_root():
        sandbox.protect_course(course.folder)


def _clean_sandbox(course: Course) -> None:
    """Kill what a stopped notebook's kernel may have left running as a sandbox user."""
    from . import sandbox, sandbox_slots

    if course.kernel_name == sandbox.KERNEL_NAME and sandbox.running_as_root():
        sandbox_slots.clean_free_slots()


def summary(results: list, seconds: float) -> str:
    graded = sum(r.status == "graded" for r in results)
    lines = [f"{len(results)} submissions in {seconds:.0f} s "
             f"({len(results) / max(seconds, 1e-9) * 60:.1f} per minute): {graded} graded"]
    for status in ("stand-in", "missing"):
        chosen = [r for r in results if r.status == status]
        if chosen:
            title = {"stand-in": "could not be graded, scored 0 with the reason",
                     "missing": "HAVE NO SCORE"}[status]
            lines.append(f"{len(chosen)} {title}:")
            lines += [f"  {r.student} {r.module}: {r.reason}" for r in chosen]
    return "\n".join(lines)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])
