"""An nbgrader course in a folder of its own, configured exactly like the real course.

The demo and the test suite grade sample submissions here, never in the project: the
folder's nbgrader_config.py loads the project's configuration (so the kernel, timeouts and
the reference-package path are the real ones) and only moves the course root and the
gradebook into the folder.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .modules import PROJECT_ROOT, Module

CONFIG = """\
# A scratch course: the real course's configuration, with its own root and gradebook.
c = get_config()
load_subconfig({project_config!r})
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
"""


class NbgraderFailed(RuntimeError):
    """An nbgrader command exited non-zero; the message holds the end of its log."""


class ScratchCourse:
    def __init__(self, folder: Path, project_root: Path = PROJECT_ROOT):
        self.folder = Path(folder)
        self.project_root = Path(project_root)
        self.db_url = "sqlite:///" + str(self.folder / "gradebook.db")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "nbgrader_config.py").write_text(CONFIG.format(
            project_config=str(self.project_root / "nbgrader_config.py"),
            root=str(self.folder), db_url=self.db_url,
        ), encoding="utf-8")

    def nbgrader(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        """Run one nbgrader command in the course folder, with this Python's nbgrader."""
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args], cwd=self.folder, env=env,
            capture_output=True, text=True, timeout=timeout,
        )
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise NbgraderFailed(f"nbgrader {' '.join(args)} exited {result.returncode}:\n{tail}")
        return result

    def add_module(self, module: Module) -> None:
        """Copy the module's instructor notebook in and generate its assignment."""
        target = self.folder / "source" / module.name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(module.source_notebook.parent, target)
        self.nbgrader("generate_assignment", module.name, "--force")

    def submit(self, student: str, module: Module, notebook) -> Path:
        """Place a submission as `nbgrader collect` would: submitted/<student>/<module>/."""
        path = self.folder / "submitted" / student / module.name / f"{module.name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, (str, bytes)):
            path.write_text(notebook if isinstance(notebook, str) else notebook.decode(), encoding="utf-8")
        else:
            nbformat.write(notebook, path)
        return path

    def autograde(self, module: Module) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", module.name, "--force")

    def cell_scores(self, module: Module) -> dict:
        """{student: {grade_id: (score, max_score)}} for every graded submission."""
        from nbgrader.api import Gradebook

        scores = {}
        with Gradebook(self.db_url) as gradebook:
            for submission in gradebook.find_assignment(module.name).submissions:
                grades = {}
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        grades[grade.name] = (grade.score, grade.max_score)
                scores[submission.student.id] = grades
        return scores

    def error_outputs(self, module: Module, student: str) -> list:
        """'cell N: Name: message' for every cell of the student's autograded notebook that
        raised: graded cells lose their points for it, and any other cell is a broken demo."""
        path = self.folder / "autograded" / student / module.name / f"{module.name}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        return [f"cell {index}: {output.ename}: {output.evalue}"
                for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
                for output in cell.get("outputs", []) if output.output_type == "error"]
