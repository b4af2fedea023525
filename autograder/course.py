"""An nbgrader course folder as the grading command sees it: its configuration, gradebook,
submissions, and how to run an nbgrader command in it.

A folder with its own nbgrader_config.py is graded with that configuration. A folder
without one gets the course defaults: this project's nbgrader_config.py, with the root
and the gradebook (gradebook.db) moved into the folder, passed on nbgrader's command line.
"""
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from .modules import PROJECT_ROOT, MODULE_NAMES, find_module


class CourseError(RuntimeError):
    """The folder cannot be graded as asked; the message says why."""


@dataclass
class Course:
    folder: Path
    db_url: str
    nbgrader_args: tuple  # what every nbgrader command gets on top of the folder's config
    kernel_name: str

    @classmethod
    def open(cls, folder) -> "Course":
        folder = Path(folder).resolve()
        # nbgrader's Gradebook runs the `alembic` command of its environment when it creates
        # a gradebook, in this process as in the nbgrader commands: put that environment first.
        bin_dir = str(Path(sys.executable).parent)
        if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
            os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
        if not folder.is_dir():
            raise CourseError(f"{folder} is not a folder")
        own = folder / "nbgrader_config.py"
        default_db = "sqlite:///" + str(folder / "gradebook.db")
        if own.is_file():
            args = ()
            config = _load(own)
        else:
            args = (f"--NbGrader.config_file={PROJECT_ROOT / 'nbgrader_config.py'}",
                    f"--CourseDirectory.root={folder}", f"--CourseDirectory.db_url={default_db}")
            config = _load(PROJECT_ROOT / "nbgrader_config.py")
            config.CourseDirectory.root = str(folder)
            config.CourseDirectory.db_url = default_db
        root = config.CourseDirectory.get("root")
        if root and Path(root).resolve() != folder:
            raise CourseError(f"{own} sets CourseDirectory.root to {root}, not this folder")
        kernel = next((section.kernel_name for name in ("BoundedExecute", "Execute", "ExecutePreprocessor")
                       if "kernel_name" in (section := config.get(name, {}))), "python3")
        return cls(folder, config.CourseDirectory.get("db_url") or default_db, args, kernel)

    def submissions(self, modules=(), students=()) -> list:
        """(student, module) for every submitted/<student>/<module>/<module>.ipynb, sorted."""
        wanted = {_module_name(m) for m in modules}
        found = []
        for notebook in sorted((self.folder / "submitted").glob("*/*/*.ipynb")):
            module, student = notebook.parent.name, notebook.parent.parent.name
            if notebook.stem != module:
                continue
            if (wanted and module not in wanted) or (students and student not in students):
                continue
            found.append((student, module))
        return found

    def submitted_notebook(self, student, module) -> Path:
        return self.folder / "submitted" / student / module / f"{module}.ipynb"

    def autograded_notebook(self, student, module) -> Path:
        return self.folder / "autograded" / student / module / f"{module}.ipynb"

    def nbgrader(self, *args, timeout=None, extra_env=None) -> subprocess.CompletedProcess:
        """Run `nbgrader ARGS` in the folder. Past `timeout` seconds the command and every
        process under it (the kernel too) are stopped, and returncode is None."""
        env = dict(os.environ, **(extra_env or {}))
        process = subprocess.Popen(
            [sys.executable, "-m", "nbgrader", *args, *self.nbgrader_args], cwd=self.folder, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
            start_new_session=True,
        )
        try:
            out, err = process.communicate(timeout=timeout)
            return subprocess.CompletedProcess(process.args, process.returncode, out, err)
        except subprocess.TimeoutExpired:
            stop_tree(process.pid)
            out, err = process.communicate()
            return subprocess.CompletedProcess(process.args, None, out, err)


def _load(path: Path):
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as error:  # nbgrader itself would only log it and go on without the file
        raise CourseError(f"{path} does not load: {type(error).__name__}: {error}") from error


def _module_name(name: str) -> str:
    if name in MODULE_NAMES:
        return name
    try:
        return find_module(name).name
    except KeyError:
        return name  # an assignment that is not one of the course's modules


def _descendants(pid: int) -> list:
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop_tree(pid: int, grace: float = 5.0) -> None:
    """SIGTERM a process and everything under it (the sandbox launcher then cleans up after
    its kernel), and SIGKILL what is still there after `grace` seconds."""
    tree = [pid, *_descendants(pid)]
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for member in tree:
            try:
                os.kill(member, signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while signum == signal.SIGTERM and time.monotonic() < deadline:
            if not any(os.path.exists(f"/proc/{m}") and _running(m) for m in tree):
                return
            time.sleep(0.1)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
