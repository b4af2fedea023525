"""The exporter: reference package from the instructor notebooks, a student's package from
their own filled-in release notebook."""
import json
import subprocess
import sys
import textwrap

import nbformat
import pytest

from autograder.build import generated_header
from autograder.export import ExportError, export_notebook, exported_cells, render
from autograder.modules import PROJECT_ROOT, find_module
from autograder.sample_class import filled_notebook


def test_reference_package_is_the_export_of_the_source_notebook(module, tmp_path):
    notebook = nbformat.read(module.source_notebook, as_version=4)
    target, cells = exported_cells(notebook)
    written = export_notebook(module.source_notebook, tmp_path, header=generated_header(module))
    committed = PROJECT_ROOT / written.relative_to(tmp_path)
    assert written.read_text() == committed.read_text() == render(cells, generated_header(module))
    assert "### BEGIN SOLUTION" not in written.read_text()
    assert "#|" not in written.read_text(), "export directives must not reach the package"


def _run_in(package_dir, code):
    """Run code in a fresh Python that sees only package_dir's tinytorch."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=package_dir,
        env={"PYTHONPATH": str(package_dir), "PATH": ""}, capture_output=True, text=True, timeout=120,
    )


def test_a_filled_student_notebook_exports_to_a_package_that_behaves_like_the_reference(tmp_path):
    module = find_module("01")
    student_notebook = tmp_path / "work" / "01_tensor.ipynb"
    student_notebook.parent.mkdir()
    nbformat.write(filled_notebook(module), student_notebook)
    package_dir = tmp_path / "mine"
    written = export_notebook(student_notebook, package_dir)
    assert written == package_dir / "tinytorch" / "core" / "tensor.py"
    assert written.read_text().startswith("# Exported from 01_tensor.ipynb")
    probe = """
        import numpy as np, tinytorch
        from tinytorch.core.tensor import Tensor
        assert tinytorch.__file__.startswith({where!r}), tinytorch.__file__
        x = Tensor([[1.0, 2.0], [3.0, 4.0]])
        y = (1 - x) @ x.T / 2 + x.sum(axis=0, keepdims=True)
        print(y.data.tolist(), y.dtype, x.reshape(-1)[1:3].data.tolist())
    """
    mine = _run_in(package_dir, probe.format(where=str(package_dir)))
    reference = _run_in(PROJECT_ROOT, probe.format(where=str(PROJECT_ROOT)))
    assert mine.returncode == 0, mine.stderr
    assert reference.returncode == 0, reference.stderr
    assert mine.stdout == reference.stdout


def test_export_keeps_what_earlier_exports_wrote(tmp_path):
    package_dir = tmp_path / "mine"
    earlier = package_dir / "tinytorch" / "core" / "earlier.py"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("VALUE = 1\n")
    (package_dir / "tinytorch" / "__init__.py").write_text("# mine\n")
    export_notebook(find_module("01").source_notebook, package_dir)
    assert earlier.read_text() == "VALUE = 1\n"
    assert (package_dir / "tinytorch" / "__init__.py").read_text() == "# mine\n"
    assert (package_dir / "tinytorch" / "core" / "__init__.py").is_file()


def test_export_of_a_blank_notebook_imports_but_its_functions_raise(tmp_path):
    module = find_module("01")
    export_notebook(module.release_notebook, tmp_path)
    result = _run_in(tmp_path, "from tinytorch.core.tensor import Tensor\nTensor([1.0])")
    assert "NotImplementedError" in result.stderr


def test_export_errors_say_what_is_wrong(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    with pytest.raises(ExportError, match="not a readable notebook"):
        export_notebook(broken, tmp_path)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("#| export\nx = 1")])
    nbformat.write(notebook, tmp_path / "no_target.ipynb")
    with pytest.raises(ExportError, match="no '#| default_exp"):
        export_notebook(tmp_path / "no_target.ipynb", tmp_path)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(notebook, tmp_path / "nothing.ipynb")
    with pytest.raises(ExportError, match="nothing to export"):
        export_notebook(tmp_path / "nothing.ipynb", tmp_path)
    assert json.loads((tmp_path / "nothing.ipynb").read_text())["cells"], "inputs are left alone"
