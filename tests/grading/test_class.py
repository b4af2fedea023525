"""A simulated class of thirty students x three modules, graded by `python -m autograder
grade --workers 2`: every submission gets the score its role deserves (DESIGN.md section 4),
hostile ones included, and the reports and feedback say what happened."""
import csv
import json
import os

import nbformat

from autograder import acl, sandbox_slots
from autograder.reports import failure_message
from autograder.sample_class import load_bugs

from conftest import CLASS_SIZE, SHARED_BUG_COPIES
from hostile import CATALOG, first_graded_cell


def _lost(grades):
    return {cell for cell, (score, maximum) in grades.items() if score < maximum}


def _passed(grades):
    return {cell for cell, (score, maximum) in grades.items() if score > 0}


def test_the_whole_class_is_graded_and_the_command_says_so(simulated_class):
    result = simulated_class.result
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    total = CLASS_SIZE * len(simulated_class.modules)
    progress = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(progress) == total, "one progress line per submission when not on a terminal"
    assert f"{total} submissions in" in result.stdout
    assert set(simulated_class.scores()) == set(simulated_class.roles), "every submission has a row"


def test_every_submission_gets_the_score_its_role_deserves(simulated_class):
    scores, results = simulated_class.scores(), json.loads(
        (simulated_class.course / "reports" / "results.json").read_text())
    wrong = []
    for (student, module_name), role in sorted(simulated_class.roles.items()):
        grades = scores[(student, module_name)]
        module = next(m for m in simulated_class.modules if m.name == module_name)
        kind, _, name = role.partition(":")
        status = results[module_name][student]
        if kind == "reference":
            ok = not _lost(grades)
        elif kind == "blank":
            ok = not _passed(grades)
        elif kind == "bug":
            bug = next(b for b in load_bugs(module) if b.name == name)
            ok = _lost(grades) == set(bug.fails)
        else:
            hostile = CATALOG[name]
            ok = {
                "full": lambda: not _lost(grades) and status["status"] == "graded",
                "zero": lambda: not _passed(grades) and status["status"] == "graded",
                "standin": lambda: (not _passed(grades) and status["status"] == "stand-in"
                                    and any(reason in status["reason"] for reason in hostile.reasons)),
                "full-but": lambda: _lost(grades) == {first_graded_cell(module)} and not _passed(
                    {first_graded_cell(module): grades[first_graded_cell(module)]}),
            }[hostile.expect]()
        if not ok:
            wrong.append(f"{student} {module_name} ({role}): lost {sorted(_lost(grades))}, {status}")
    assert not wrong, "\n".join(wrong)


def test_reports_list_every_submission_and_the_bug_the_class_shares(simulated_class):
    course = simulated_class.course
    with open(course / "reports" / "scores.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(simulated_class.roles)
    assert {(r["student"], r["module"]) for r in rows} == set(simulated_class.roles)
    standins = {(r["student"], r["module"]) for r in rows if r["status"] == "stand-in"}
    assert standins and all(r["reason"] for r in rows if r["status"] == "stand-in")
    report = (course / "reports" / "report.md").read_text()
    # The second module's first planted bug is made by several students: the analytics name
    # its failure (read from a buggy student's autograded notebook) for each cell it breaks.
    module = simulated_class.modules[1]
    bug = load_bugs(module)[0]
    student = next(s for (s, m), role in simulated_class.roles.items() if m == module.name and role == f"bug:{bug.name}")
    notebook = nbformat.read(course / "autograded" / student / module.name / f"{module.name}.ipynb", as_version=4)
    section = report.split(f"### {module.name}")[1].split("###")[0]
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in bug.fails:
            message = failure_message(cell)
            line = next(line for line in section.splitlines() if line.startswith(f"| {grade_id} |"))
            assert message.replace("|", "\\|") in line, f"{line!r} should name {message!r}"
            assert f"({SHARED_BUG_COPIES + 1})" in line, line


def test_feedback_is_generated_for_every_submission(simulated_class):
    missing = [f"{s}/{m}" for (s, m) in simulated_class.roles
               if not (simulated_class.course / "feedback" / s / m / f"{m}.html").is_file()]
    assert not missing, f"no feedback for {missing}"


def _autograded(simulated_class, name):
    """The autograded notebook of the first module's hostile student `name`."""
    module = simulated_class.modules[0]
    student = next(s for (s, m), role in simulated_class.roles.items()
                   if m == module.name and role == f"hostile:{name}")
    path = simulated_class.course / "autograded" / student / module.name / f"{module.name}.ipynb"
    return path, nbformat.read(path, as_version=4)


def _text(notebook):
    return "".join(o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []))


def test_megabytes_of_output_are_cut_before_they_reach_the_gradebook(simulated_class):
    path, notebook = _autograded(simulated_class, "output-flood")
    assert path.stat().st_size < 2_000_000, f"{path.stat().st_size} bytes"
    assert "output truncated by the grader" in _text(notebook)


def test_student_code_cannot_read_the_sources_or_the_gradebook(simulated_class):
    _, notebook = _autograded(simulated_class, "reads-source-and-gradebook")
    text = _text(notebook)
    assert "solutions stolen: 0" in text
    assert "READ" not in text, text
    assert text.count("blocked:") == 5, text
    gid = sandbox_slots.grp.getgrnam(sandbox_slots.GROUP).gr_gid
    course = simulated_class.course
    for secret in ("gradebook.db", "source", "submitted", "reports", "nbgrader_config.py"):
        assert acl.read(course / secret).get((acl.GROUP, gid)) == 0, f"{secret} is not denied to the sandbox"


def test_the_memory_bomb_met_the_limit_and_the_fork_bomb_left_nothing_behind(simulated_class):
    _, notebook = _autograded(simulated_class, "memory-bomb")
    assert "MemoryError: the memory limit held" in _text(notebook)
    sandbox_users = {p.pw_uid for p in sandbox_slots.pwd.getpwall() if p.pw_name.startswith(sandbox_slots.GROUP + "-")}
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and os.stat(f"/proc/{pid}").st_uid in sandbox_users]
    assert not left, f"sandbox processes still running: {left}"


def test_a_renamed_grade_id_forfeits_that_cell_with_a_reason(simulated_class):
    _, notebook = _autograded(simulated_class, "renamed-grade-id")
    assert "renamed its grade_id" in _text(notebook) + "".join(
        o.get("evalue", "") for cell in notebook.cells for o in cell.get("outputs", []))


def test_the_class_is_graded_in_modest_time(simulated_class):
    assert simulated_class.seconds < 25 * 60, f"{simulated_class.seconds:.0f} s for {len(simulated_class.roles)} notebooks"
