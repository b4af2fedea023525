"""`tito doctor`: is this environment ready for the course? Each check says what to fix.

Checks, in order: the Python version; the packages the notebooks and tito need, against the
versions requirements.txt pins; the course distribution; the workspace layout; which
tinytorch a notebook would import; and that a python3 kernel starts and sees that tinytorch.
"""
import importlib.metadata
import re
import sys
from pathlib import Path

import nbformat

from .steps import execute
from .workspace import Distribution, Workspace

PACKAGES = ("numpy", "matplotlib", "nbformat", "nbclient", "nbgrader", "jupytext", "ipykernel",
            "jupyter_client")
OPTIONAL = ("jupyterlab",)
PROBE = "import tinytorch, autograder; print(tinytorch.__file__); print(autograder.__file__)"


class Report:
    def __init__(self):
        self.failures = 0

    def line(self, ok, what: str, detail: str = "") -> None:
        mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
        self.failures += ok is False
        print(f"[{mark}] {what}" + (f": {detail}" if detail else ""))


def pinned_versions(dist: Distribution) -> dict:
    pins = {}
    path = dist.root / "requirements.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", line.strip())
            if match:
                pins[match[1].lower().replace("-", "_")] = match[2]
    return pins


def check_packages(report: Report, dist: Distribution) -> None:
    pins = pinned_versions(dist)
    for name in PACKAGES + OPTIONAL:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in OPTIONAL:
                report.line(None, name, "not installed (only needed for `tito module start --open`)")
            else:
                report.line(False, name, "not installed: pip install -r requirements.txt")
            continue
        pin = pins.get(name.lower())
        if pin and pin != version:
            report.line(None, name, f"{version}, the course pins {pin} (pip install -r requirements.txt)")
        else:
            report.line(True, name, version)


def check_workspace(report: Report, dist: Distribution, workspace: Workspace) -> None:
    report.line(True, "course distribution",
                f"{dist.root}: {', '.join(m.name for m in dist.available()) or 'no modules'}")
    if workspace.is_reference_package():
        report.line(False, "workspace", f"{workspace.root} holds the course's reference tinytorch; "
                                        "make your own with `tito init DIR`")
        return
    init = workspace.package / "__init__.py"
    report.line(init.is_file(), "workspace", f"{workspace.root}" + (
        "" if init.is_file() else " has no tinytorch/__init__.py: run `tito init` there"))
    exported = [m.name for m in dist.available() if workspace.is_exported(m, dist)]
    report.line(True, "your tinytorch", f"exported: {', '.join(exported) or 'nothing yet'}")


def check_kernel(report: Report, workspace: Workspace) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        report.line(False, "kernel python3", "not found: pip install ipykernel")
        return
    python = spec.argv[0] if spec.argv else "?"
    # jupyter_client runs the built-in python3 kernel with the Python that asks for it
    report.line(True, "kernel python3", sys.executable if python in ("python", "python3") else python)
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    path = workspace.root / ".tito" / "doctor-probe.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(probe, path)
    try:
        ran = execute(path, workspace.kernel_environment(), timeout=60)
    except Exception as error:  # a kernel that cannot start raises many types
        report.line(False, "kernel start", f"{type(error).__name__}: {error}")
        return
    finally:
        path.unlink(missing_ok=True)
    outputs = ran.cells[0].outputs
    errors = [o for o in outputs if o.output_type == "error"]
    if errors:
        report.line(False, "tinytorch in a kernel", f"{errors[0].ename}: {errors[0].evalue}")
        return
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    where = Path(text.splitlines()[0]) if text.strip() else None
    mine = where is not None and workspace.package in where.parents
    report.line(mine, "tinytorch in a kernel", f"{where}" + (
        "" if mine else f" is not yours ({workspace.package}): check PYTHONPATH"))
    if len(text.splitlines()) > 1:
        report.line(True, "course tooling in a kernel", text.splitlines()[1])


def run_doctor(dist: Distribution, workspace: Workspace) -> int:
    report = Report()
    version = sys.version_info
    report.line(version >= (3, 11), "python", f"{sys.version.split()[0]} at {sys.executable}"
                + ("" if version >= (3, 11) else " (the course needs 3.11 or newer)"))
    check_packages(report, dist)
    check_workspace(report, dist, workspace)
    if not report.failures:
        check_kernel(report, workspace)
    print("All good." if not report.failures else f"{report.failures} problem(s) to fix.")
    return 1 if report.failures else 0
