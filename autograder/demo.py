"""`make demo`: autograde a small sample class and print its score table.

For every built module, three students hand in: "reference" (every solution filled in),
"blank" (the release notebook as given) and "buggy" (the reference with the module's first
planted bug). They are graded by a real `nbgrader autograde` on nbgrader's default SQLite
gradebook, in a course folder of their own (build/demo by default).
"""
import shutil
import time
from pathlib import Path

from .modules import built_modules
from .sample_class import load_bugs, sample_submissions
from .scratch_course import ScratchCourse

STUDENTS = ("reference", "blank", "buggy")


def run_demo(folder: Path) -> int:
    shutil.rmtree(folder, ignore_errors=True)
    course = ScratchCourse(folder)
    modules = built_modules()
    rows = []
    for module in modules:
        started = time.perf_counter()
        course.add_module(module)
        for student, notebook in sample_submissions(module, bugs="first").items():
            course.submit(student, module, notebook)
        course.autograde(module)
        scores = course.cell_scores(module)
        bugs = load_bugs(module)
        rows.append((module.name, scores, bugs[0].explain if bugs else ""))
        print(f"graded {module.name} for {len(scores)} students in {time.perf_counter() - started:.1f} s")

    print(f"\nGradebook: {course.db_url}\n")
    print(f"{'module':18s}" + "".join(f"{s:>12s}" for s in STUDENTS))
    for name, scores, _ in rows:
        cells = []
        for student in STUDENTS:
            grades = scores.get(student)
            got = "-" if grades is None else (
                f"{sum(g[0] for g in grades.values()):g}/{sum(g[1] for g in grades.values()):g}")
            cells.append(f"{got:>12s}")
        print(f"{name:18s}" + "".join(cells))
    print("\nThe buggy submissions:")
    for name, _, explain in rows:
        print(f"  {name}: {explain}")
    return 0
