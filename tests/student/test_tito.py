"""tito, run as a fresh student runs it: from the student distribution alone, in a workspace
of their own, with the course repository nowhere on the path."""
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.modules import find_module
from autograder.sample_class import filled_notebook
from autograder.steps import score
from autograder.tito import parser


def tito(dist, workspace, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TINYTORCH_", "PYTHON"))}
    env.update(PYTHONPATH=str(dist), HOME=str(workspace.parent), **(env_extra or {}))
    result = subprocess.run([sys.executable, "-m", "autograder.tito", *args], cwd=workspace,
                            env=env, capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def workspace(student_dist, tmp_path):
    code, out = tito(student_dist, tmp_path, "init", "work")
    assert code == 0, out
    return tmp_path / "work"


def test_a_fresh_student_starts_fills_tests_exports_and_moves_on(student_dist, workspace):
    code, out = tito(student_dist, workspace, "module", "start", "02")
    assert code == 1 and "01_tensor" in out and "not yet exported" in out, out

    code, out = tito(student_dist, workspace, "module", "start", "01")
    notebook = workspace / "notebooks" / "01_tensor" / "01_tensor.ipynb"
    assert code == 0 and str(notebook) in out and notebook.is_file(), out

    # The blank notebook: every step fails, and `complete` does not export it.
    code, out = tito(student_dist, workspace, "module", "complete", "01")
    assert code == 1, out
    assert "FAIL  tensor-creation" in out and "NotImplementedError" in out and "0/20 points" in out, out
    assert not (workspace / "tinytorch" / "core" / "tensor.py").exists()

    nbformat.write(filled_notebook(find_module("01")), notebook)  # the student's work
    code, out = tito(student_dist, workspace, "module", "test", "01")
    assert code == 0, out
    assert out.count("  PASS  ") == 8 and "FAIL" not in out and "20/20 points" in out, out
    assert f"importing tinytorch from {workspace / 'tinytorch'}" in out

    code, out = tito(student_dist, workspace, "module", "export", "01")
    exported = workspace / "tinytorch" / "core" / "tensor.py"
    assert code == 0 and exported.is_file() and "class Tensor" in exported.read_text(), out

    code, out = tito(student_dist, workspace, "module", "start", "02")
    assert code == 0 and (workspace / "notebooks" / "02_activations" / "02_activations.ipynb").is_file(), out

    code, out = tito(student_dist, workspace, "status")
    assert code == 0, out
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  0") or line.startswith("  1")}
    assert "exported" in rows["01_tensor"] and "20/20 points" in rows["01_tensor"], out
    assert "in progress" in rows["02_activations"] and "not started" in rows["03_layers"], out
    assert len(rows) == 19

    code, out = tito(student_dist, workspace, "doctor")
    assert code == 0, out
    assert f"tinytorch in a kernel: {workspace / 'tinytorch' / '__init__.py'}" in out, out
    assert f"course tooling in a kernel: {student_dist / 'autograder' / '__init__.py'}" in out, out


def test_start_names_every_missing_module_and_only_available_ones(student_dist, workspace):
    code, out = tito(student_dist, workspace, "module", "start", "05")
    assert code == 1, out
    assert "01_tensor, 02_activations, 03_layers, 04_losses" in out, out


def test_start_of_a_module_not_yet_released_says_so(student_dist, tmp_path):
    """Instructors release modules as the term goes on: a distribution without 19 yet."""
    partial = tmp_path / "partial-dist"
    shutil.copytree(student_dist, partial, ignore=lambda folder, names: ["19_benchmarking"])
    code, out = tito(partial, tmp_path, "init", "work")
    assert code == 0, out
    code, out = tito(partial, tmp_path / "work", "module", "start", "19")
    assert code == 2 and "not in this course distribution yet" in out, out
    assert "18_acceleration" in out, out  # what the distribution does hold


def test_start_open_launches_jupyterlab_on_the_notebook_with_the_workspace_first(student_dist, workspace, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "lab-call"
    stub = bin_dir / "jupyter-lab"
    stub.write_text(f'#!/bin/sh\necho "$PYTHONPATH" > {record}\necho "$@" >> {record}\n')
    stub.chmod(0o755)
    code, out = tito(student_dist, workspace, "module", "start", "01", "--open",
                     env_extra={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert code == 0, out
    pythonpath, arguments = record.read_text().splitlines()
    assert pythonpath.split(":")[0] == str(workspace)
    assert arguments.endswith("notebooks/01_tensor/01_tensor.ipynb"), arguments


def test_workspace_refuses_the_reference_package(tmp_path):
    from autograder.modules import PROJECT_ROOT

    result = subprocess.run([sys.executable, "-m", "autograder.tito", "module", "start", "01"],
                            cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "reference tinytorch" in result.stderr, result.stderr
    assert not (PROJECT_ROOT / "notebooks").exists()


@pytest.mark.parametrize("command", [[], ["init"], ["module"], ["module", "start"], ["module", "test"],
                                     ["module", "export"], ["module", "complete"], ["status"], ["doctor"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        parser().parse_args([*command, "--help"])
    assert done.value.code == 0
    assert "usage: tito" in capsys.readouterr().out


def _executed(*cells):
    notebook = nbformat.v4.new_notebook()
    for grade_id, outputs in cells:
        cell = nbformat.v4.new_code_cell("check()", outputs=outputs)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": 2, "locked": True,
                                     "solution": False, "schema_version": 3}
        notebook.cells.append(cell)
    return notebook


def test_steps_are_scored_as_nbgrader_scores_them():
    run = score(_executed(
        ("ok", []),
        ("raises", [nbformat.v4.new_output("error", ename="AssertionError",
                                           evalue="shape (2, 3), expected (3, 2)\nmore", traceback=[])]),
        ("stderr", [nbformat.v4.new_output("stream", name="stderr", text="RuntimeWarning: overflow\n")]),
        ("partial", [nbformat.v4.new_output("execute_result", data={"text/plain": "1.0"})]),
    ))
    steps = {s.grade_id: s for s in run.steps}
    assert steps["ok"].passed and steps["ok"].score == 2
    assert steps["raises"].failure == "AssertionError: shape (2, 3), expected (3, 2)"
    assert not steps["stderr"].passed and "RuntimeWarning: overflow" in steps["stderr"].failure
    assert steps["partial"].score == 1.0 and not steps["partial"].passed
    assert (run.score, run.max_score, run.all_passed) == (3.0, 8.0, False)


def test_notebooks_run_with_one_blas_thread_unless_the_student_sets_it(tmp_path, monkeypatch):
    """Like grading: BLAS threads that spin against a busy machine make timing cells meaningless."""
    from autograder.workspace import BLAS_THREAD_VARIABLES, Workspace

    for variable in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    environment = Workspace(tmp_path).kernel_environment()
    assert [environment[v] for v in BLAS_THREAD_VARIABLES] == ["1", "1", "1"]
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert Workspace(tmp_path).kernel_environment()["OPENBLAS_NUM_THREADS"] == "4"
