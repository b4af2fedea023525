"""`make student-dist`: what a student gets holds no solution, and nothing the course keeps back."""
import keyword
import re

import nbformat

from autograder.modules import PROJECT_ROOT, built_modules
from autograder.notebook import HIDDEN, SOLUTION
from autograder.student_dist import STUDENT_TOOLING


def trivial(line):
    """A line that gives nothing away: short, or naming at most one thing besides Python's
    keywords (`else:`, `return out`, `if grad is None:`)."""
    names = set(re.findall(r"[A-Za-z_]\w*", line)) - set(keyword.kwlist)
    return len(line) <= 12 or len(names) <= 1


def secret_lines(root=PROJECT_ROOT):
    """Lines inside solution or hidden-test blocks of every built module's instructor notebook
    that the notebook does not also show outside a block, less the trivial ones."""
    secret, given = set(), set()
    for module in built_modules(root):
        for cell in nbformat.read(module.source_notebook, as_version=4).cells:
            depth = 0
            for line in cell.source.splitlines():
                stripped = line.strip()
                if stripped in (SOLUTION[0], HIDDEN[0]):
                    depth += 1
                elif stripped in (SOLUTION[1], HIDDEN[1]):
                    depth -= 1
                else:
                    (secret if depth else given).add(stripped)
    return {line for line in secret - given if not trivial(line)}


def dist_lines(folder):
    """{stripped line: file} over every text file of the distribution (notebook cells by source)."""
    lines = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
        for line in text.splitlines():
            lines.setdefault(line.strip(), path.relative_to(folder))
    return lines


def leaks(folder):
    secret = secret_lines()
    return sorted((str(where), line) for line, where in dist_lines(folder).items() if line in secret)


def test_there_are_solution_lines_to_look_for():
    assert len(secret_lines()) > 50 * len(built_modules()) / 6, "the leak check would check nothing"


def test_dist_holds_no_line_of_any_solution_or_hidden_test(student_dist):
    found = leaks(student_dist)
    assert not found, f"the student distribution shows solution or hidden-test lines: {found[:5]}"
    lines = dist_lines(student_dist)
    for marker in SOLUTION + HIDDEN:  # a block marker as a line of its own: a block was shipped
        assert marker not in lines, f"{lines[marker]} holds a '{marker}' line"


def test_the_leak_check_finds_a_planted_solution_line(student_dist, tmp_path):
    import shutil

    copy = shutil.copytree(student_dist, tmp_path / "leaky")
    line = sorted(secret_lines())[0]
    (copy / "autograder" / "helpers.py").write_text(f"def f(x):\n    {line}\n")
    assert leaks(copy) == [("autograder/helpers.py", line)]


def test_dist_layout(student_dist):
    top = {p.name for p in student_dist.iterdir()}
    assert top >= {"README.md", "pyproject.toml", "requirements.txt", "release", "autograder", "tinytorch"}
    assert not top & {"modules", "source", "tests", "submitted", "autograded", "nbgrader_config.py"}
    assert sorted(p.name for p in (student_dist / "autograder").iterdir()) == sorted(STUDENT_TOOLING)
    for module in built_modules():
        assert (student_dist / "release" / module.name / f"{module.name}.ipynb").is_file(), module.name
    if (PROJECT_ROOT / "data").is_dir():
        assert (student_dist / "data").is_dir()


def test_dist_tinytorch_is_an_empty_package(student_dist):
    files = sorted(str(p.relative_to(student_dist)) for p in (student_dist / "tinytorch").rglob("*") if p.is_file())
    assert files and all(f.endswith("__init__.py") for f in files), files
    assert "tinytorch/__init__.py" in files
    for path in (student_dist / "tinytorch").rglob("__init__.py"):
        code = [l for l in path.read_text().splitlines() if l.strip() and not l.startswith(('"""', "#"))]
        assert not any(re.match(r"\s*(import|from|def|class)\b", l) for l in code), f"{path} is not empty"


def test_every_tool_a_release_notebook_imports_is_shipped(student_dist, module):
    notebook = nbformat.read(module.release_notebook, as_version=4)
    imported = set(re.findall(r"^\s*(?:from|import)\s+autograder\.(\w+)", "\n".join(
        c.source for c in notebook.cells), flags=re.M))
    missing = {name for name in imported if not (student_dist / "autograder" / f"{name}.py").is_file()}
    assert not missing, (f"{module.name} imports autograder.{missing} which the student distribution "
                         "does not ship: add it to STUDENT_TOOLING in autograder/student_dist.py")
