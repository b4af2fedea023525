"""Class reports: what an instructor reads after grading.

- reports/scores.csv: one row per student and module (score, max score, status, reason);
- reports/report.md: the score table, the submissions that could not be graded and why,
  and per-check analytics: for every graded cell, how many students lost points and the
  failure message most of them got, e.g. the first line of a GradientCheckError, so the
  gradient bug a class shares stands out.

Scores come from the gradebook; failure messages from the error outputs of the graded
cells in autograded/; statuses from reports/results.json, written by the grade command.
"""
import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import Course
from .grade import load_results

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Submission:
    student: str
    module: str
    score: float
    max_score: float
    cells: dict                      # grade_id -> (score, max_score)
    status: str = "graded"
    reason: str = ""
    failures: dict = field(default_factory=dict)  # grade_id -> message, for cells that lost points


def failure_message(cell) -> str:
    """The line a student would read first about a failing cell: `Error: first line`."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = ANSI.sub("", output.get("evalue", "")).strip()
            first = value.splitlines()[0] if value else ""
            return f"{output.get('ename', 'Error')}: {first}"[:200] if first else output.get("ename", "Error")
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = ANSI.sub("", output.get("text", "")).strip()
            return f"wrote to stderr: {text.splitlines()[0] if text else ''}"[:200]
    return "lost points without an error message"


def _graded_cells(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable autograded copy just gives no messages
        return {}
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade")}


def collect(course: Course) -> list:
    from nbgrader.api import Gradebook

    results = load_results(course.folder)
    submissions = []
    with Gradebook(course.db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submitted in assignment.submissions:
                cells = {g.name: (g.score or 0.0, g.max_score) for nb in submitted.notebooks for g in nb.grades}
                entry = Submission(submitted.student.id, assignment.name, submitted.score, submitted.max_score, cells)
                saved = results.get(assignment.name, {}).get(entry.student, {})
                entry.status, entry.reason = saved.get("status", "graded"), saved.get("reason", "")
                outputs = _graded_cells(course.autograded_notebook(entry.student, entry.module))
                entry.failures = {name: failure_message(outputs[name]) if name in outputs else "cell missing"
                                  for name, (score, maximum) in cells.items() if score < maximum}
                submissions.append(entry)
    submissions.sort(key=lambda s: (s.module, s.student))
    return submissions


def check_analytics(submissions: list) -> dict:
    """{module: [(cell, points, graded, lost, (message, count))]}, cells in the order of the
    release notebook where there is one. Stand-ins are left out: they fail every cell."""
    table = {}
    for module in sorted({s.module for s in submissions}):
        graded = [s for s in submissions if s.module == module and s.status == "graded"]
        cells = sorted({c for s in submissions if s.module == module for c in s.cells})
        rows = []
        for cell in cells:
            lost = [s for s in graded if cell in s.failures]
            common = Counter(s.failures[cell] for s in lost).most_common(1)
            points = max((s.cells[cell][1] for s in submissions if s.module == module and cell in s.cells), default=0)
            rows.append((cell, points, len(graded), len(lost), common[0] if common else ("", 0)))
        rows.sort(key=lambda row: -row[3])
        table[module] = rows
    return table


def write_reports(course: Course) -> list:
    submissions = collect(course)
    folder = course.folder / "reports"
    folder.mkdir(exist_ok=True)
    csv_path = folder / "scores.csv"
    with open(csv_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "module", "score", "max_score", "status", "reason"])
        for s in submissions:
            writer.writerow([s.student, s.module, f"{s.score:g}", f"{s.max_score:g}", s.status, s.reason])
    md_path = folder / "report.md"
    md_path.write_text(markdown(submissions), encoding="utf-8")
    return [csv_path, md_path]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(submissions: list) -> str:
    modules = sorted({s.module for s in submissions})
    students = sorted({s.student for s in submissions})
    by = {(s.student, s.module): s for s in submissions}
    lines = ["# Grading report", "", "## Scores", "",
             "| student | " + " | ".join(modules) + " | total |",
             "|---" * (len(modules) + 2) + "|"]
    for student in students:
        row, total, total_max = [], 0.0, 0.0
        for module in modules:
            s = by.get((student, module))
            if s is None:
                row.append("-")
                continue
            total, total_max = total + s.score, total_max + s.max_score
            row.append(f"{s.score:g}/{s.max_score:g}" + ("*" if s.status != "graded" else ""))
        lines.append(f"| {_cell(student)} | " + " | ".join(row) + f" | {total:g}/{total_max:g} |")
    odd = [s for s in submissions if s.status != "graded"]
    if odd:
        lines += ["", "\\* could not be graded; every graded cell scored 0:", ""]
        lines += [f"- {s.student}, {s.module}: {s.reason}" for s in odd]
    lines += ["", "## Checks the class fails", "",
              "For each graded cell: the students who lost points on it, and the failure most of them got."]
    for module, rows in check_analytics(submissions).items():
        lines += ["", f"### {module}", "", "| graded cell | points | lost points | most common failure |",
                  "|---|---|---|---|"]
        for cell, points, graded, lost, (message, count) in rows:
            common = f"{_cell(message)} ({count})" if count else ""
            lines.append(f"| {cell} | {points:g} | {lost}/{graded} | {common} |")
    return "\n".join(lines) + "\n"
