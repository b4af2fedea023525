"""The grading machinery piece by piece, without running a class."""
import os
import signal
import subprocess
import sys

import nbformat
import pytest

from autograder import acl, sandbox
from autograder.bounded_execute import BoundedExecute
from autograder.course import Course, CourseError
from autograder.grade import Progress, Result, failure_reason, standin_notebook, unreadable
from autograder.modules import PROJECT_ROOT, find_module
from autograder.reports import failure_message
from autograder.sandbox import Limits, kernel_command, kernel_env


def test_acl_entries_are_written_read_and_removed(tmp_path):
    target = tmp_path / "folder"
    target.mkdir(mode=0o755)
    acl.set_entry(target, acl.GROUP, 4321, 0)
    acl.set_entry(target, acl.USER, 1234, 1)
    entries = acl.read(target)
    assert entries[(acl.GROUP, 4321)] == 0 and entries[(acl.USER, 1234)] == 1
    assert entries[(acl.MASK, acl.NO_ID)] == 5, "the mask is the union of the group class (r-x from the group)"
    assert oct(target.stat().st_mode & 0o777) == "0o755", "the owner, group and others keep their rights"
    acl.set_entry(target, acl.GROUP, 4321, 0, default=True)
    assert acl.read(target, acl.DEFAULT)[(acl.GROUP, 4321)] == 0
    (target / "new").write_text("x")
    assert acl.read(target / "new")[(acl.GROUP, 4321)] == 0, "what the folder creates inherits the denial"
    acl.remove_entry(target, acl.USER, 1234)
    assert (acl.USER, 1234) not in acl.read(target)


def test_the_kernel_command_wraps_ipykernel_in_limits_and_a_user_switch():
    limits = Limits(cpu_seconds=7, memory_mb=100, processes=9, file_mb=3)
    command = kernel_command("/tmp/k.json", ["--x=1"], limits, account=(998, 997))
    assert command[:7] == ["prlimit", "--cpu=7:9", f"--as={100 << 20}", f"--fsize={3 << 20}", "--core=0",
                           "--nproc=9", "--"]
    assert command[7:14] == ["setpriv", "--no-new-privs", "--pdeathsig=KILL", "--reuid=998", "--regid=997",
                             "--clear-groups", "--"]
    assert command[14:] == [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/k.json", "--x=1"]
    unprivileged = kernel_command("/tmp/k.json", [], limits)
    assert not any(arg.startswith(("--nproc", "--reuid")) for arg in unprivileged), \
        "without a user of its own, a process limit would count every process of the grader"


def test_limits_come_from_the_environment():
    assert Limits.from_env({"TINYTORCH_SANDBOX_CPU_SECONDS": "12", "TINYTORCH_SANDBOX_FORKS": "3"}) == \
        Limits(cpu_seconds=12, forks=3)


def test_the_kernel_environment_keeps_no_secret(tmp_path):
    env = kernel_env({"PATH": "/bin", "PYTHONPATH": "/p", "TINYTORCH_TEST_POSTGRES_URL": "postgresql://u:pw@h/db",
                      "AWS_SECRET_ACCESS_KEY": "k", "PGPASSWORD": "pw", "JPY_SESSION_NAME": "s"}, tmp_path, "u")
    assert env["PATH"] == "/bin" and env["PYTHONPATH"] == "/p" and env["JPY_SESSION_NAME"] == "s"
    assert env["HOME"] == str(tmp_path) and env["MPLCONFIGDIR"].startswith(str(tmp_path))
    assert not {"TINYTORCH_TEST_POSTGRES_URL", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD"} & set(env)


def _completed(code, stderr):
    return subprocess.CompletedProcess([], code, "", stderr)


def test_failure_reasons_are_readable():
    assert "time limit for one notebook" in failure_reason(_completed(None, ""), 60)
    assert failure_reason(_completed(1, "x\ntinytorch-sandbox: the kernel was killed at its CPU time limit (9 s)\n"),
                          60) == "the kernel was killed at its CPU time limit (9 s)"
    assert failure_reason(_completed(1, "    nbclient.exceptions.DeadKernelError: Kernel died\n"), 60) == \
        "the kernel died while running the notebook"
    assert failure_reason(_completed(1, "[AutogradeApp | ERROR] boom\n    KeyError: 'grade_id'\n[x] y"), 60) == \
        "KeyError: 'grade_id'"


def test_unreadable_notebooks_are_recognised(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text("  \n")
    assert unreadable(path) == "the submitted notebook is an empty file"
    path.write_text("{ nope")
    assert "not a readable notebook" in unreadable(path)
    nbformat.write(nbformat.v4.new_notebook(), path)
    assert unreadable(path) == ""


def test_a_standin_raises_the_reason_in_every_solution_cell(tmp_path):
    module = find_module("01")
    (tmp_path / "release" / module.name).mkdir(parents=True)
    (tmp_path / "release" / module.name / f"{module.name}.ipynb").write_bytes(module.release_notebook.read_bytes())
    course = Course(tmp_path, "sqlite://", (), "python3")
    notebook = standin_notebook(course, module.name, "the file was empty")
    solutions = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions and all("could not be graded: the file was empty" in c.source for c in solutions)
    assert "could not be graded" in notebook.cells[0].source


def _message(msg_type, **content):
    return {"msg_type": msg_type, "content": content, "parent_header": {"msg_id": "m"}, "header": {"msg_type": msg_type},
            "metadata": {}}


def test_output_past_the_cap_is_dropped_as_it_arrives_but_errors_are_kept():
    executor = BoundedExecute(max_output_bytes=10_000)
    executor._output_bytes = {}
    executor.clear_before_next_output = False  # set per cell by nbclient
    outs = []
    for _ in range(100):
        executor.output(outs, _message("stream", name="stdout", text="x" * 1000), None, 0)
    executor.output(outs, _message("error", ename="AssertionError", evalue="y" * 50_000, traceback=["t"] * 500), None, 0)
    text = "".join(o.get("text", "") for o in outs)
    assert len(text) < 12_000 and text.count("output truncated by the grader") == 1
    assert all(o.get("name") != "stderr" for o in outs), "the note must not make a graded cell score 0"
    error = outs[-1]
    assert error.output_type == "error" and len(error.evalue) == 10_000 and len(error.traceback) == 100


def test_progress_prints_one_line_per_submission_off_a_terminal(capsys):
    progress = Progress(2, sys.stdout)
    progress.update(Result("ada", "01_tensor", seconds=1.5))
    progress.update(Result("bob", "01_tensor", status="stand-in", reason="empty file", seconds=2))
    assert capsys.readouterr().out.splitlines() == [
        "[1/2] ada 01_tensor: graded (1.5 s)", "[2/2] bob 01_tensor: stand-in: empty file (2.0 s)"]


def test_a_course_without_a_config_gets_the_course_defaults(tmp_path):
    course = Course.open(tmp_path)
    assert course.db_url == "sqlite:///" + str(tmp_path / "gradebook.db")
    assert f"--CourseDirectory.root={tmp_path}" in course.nbgrader_args
    assert f"--NbGrader.config_file={PROJECT_ROOT / 'nbgrader_config.py'}" in course.nbgrader_args


def test_a_course_config_that_does_not_load_is_an_error_not_a_silent_default(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = undefined_name\n")
    with pytest.raises(CourseError, match="does not load: NameError"):
        Course.open(tmp_path)


def test_failure_messages_are_the_first_line_of_the_error_without_colours():
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "error", ename="GradientCheckError", evalue="\x1b[31mLinear.weight.grad is wrong\x1b[0m\nmore", traceback=[])])
    assert failure_message(cell) == "GradientCheckError: Linear.weight.grad is wrong"
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stderr", text="Warning: x\n")])
    assert failure_message(cell) == "wrote to stderr: Warning: x"


def test_the_grade_command_refuses_a_folder_without_submissions(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no submissions" in result.stderr


def test_the_launcher_names_the_cpu_limit_when_it_kills_a_kernel(capfd, tmp_path):
    limits = Limits(cpu_seconds=1)
    command = kernel_command("-", [], limits)
    command = command[:command.index(sys.executable) + 1] + ["-c", "while True: pass"]
    code = sandbox._run(command, kernel_env(dict(os.environ), tmp_path, "t"), tmp_path, limits)
    assert code == -signal.SIGXCPU
    assert "tinytorch-sandbox: the kernel was killed at its CPU time limit (1 s)" in capfd.readouterr().err


def test_an_autograde_that_meets_a_locked_sqlite_gradebook_is_run_again(monkeypatch):
    from autograder import grade

    class Locked:
        calls = 0

        def nbgrader(self, *args, timeout=None):
            Locked.calls += 1
            if Locked.calls < 3:
                return _completed(1, "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked")
            return _completed(0, "")

    monkeypatch.setattr(grade.time, "sleep", lambda seconds: None)
    assert grade._autograde(Locked(), "ada", "01_tensor", 60).returncode == 0
    assert Locked.calls == 3
