"""tito: the student's command line for the TinyTorch course.

    tito init [DIR]             make a workspace: your own empty tinytorch package, notebooks/
    tito module start NN        copy module NN's notebook into your workspace (--open: JupyterLab)
    tito module test NN         run your notebook in a fresh kernel, show each graded step
    tito module export NN       write your solution cells into your tinytorch
    tito module complete NN     test, then export if every step passes
    tito status                 the nineteen modules: not started, in progress, exported
    tito doctor                 check Python, packages, workspace and kernel

Your workspace is TINYTORCH_WORKSPACE, or the nearest folder at or above this one made by
`tito init` (or `tito module start`), or this folder. `tito <command> --help` explains each.
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from .export import ExportError, export_notebook
from .modules import MODULE_NAMES, Module, find_module
from .steps import execute, score
from .workspace import Distribution, Workspace, WorkspaceError


def _context(args):
    dist = Distribution()
    workspace = Workspace(Path(args.workspace).expanduser()) if args.workspace else Workspace.find()
    return dist, workspace


def _module(dist: Distribution, name: str) -> Module:
    try:
        module = find_module(name)
    except KeyError as error:
        raise WorkspaceError(error.args[0]) from None
    if not dist.is_available(module):
        have = ", ".join(m.name for m in dist.available()) or "none"
        raise WorkspaceError(f"module {module.name} is not in this course distribution yet "
                             f"({dist.root}); the modules available are: {have}")
    return module


def _short(module: Module) -> str:
    return module.name.split("_", 1)[0]


def _started(workspace: Workspace, module: Module) -> Path:
    notebook = workspace.notebook(module)
    if not notebook.is_file():
        raise WorkspaceError(f"{module.name} is not started in {workspace.root}: run "
                             f"`tito module start {_short(module)}` first")
    return notebook


# --- commands ------------------------------------------------------------------------------

def cmd_init(args) -> int:
    dist = Distribution()
    workspace = Workspace(Path(args.dir).expanduser())
    workspace.root.mkdir(parents=True, exist_ok=True)
    workspace.ensure()
    print(f"Workspace ready: {workspace.root}")
    print(f"  your package:   {workspace.package} (empty until you export a module)")
    print(f"  your notebooks: {workspace.root / 'notebooks'}")
    print(f"  course:         {dist.root} ({len(dist.available())} of {len(MODULE_NAMES)} modules available)")
    print(f"Next: cd {workspace.root} && tito module start 01")
    return 0


def cmd_start(args) -> int:
    dist, workspace = _context(args)
    module = _module(dist, args.module)
    if workspace.ensure():
        print(f"Created your workspace in {workspace.root} (an empty tinytorch package to fill).")
    missing, unavailable = workspace.missing_before(module, dist)
    if missing and not args.force:
        names = ", ".join(m.name for m in missing)
        print(f"Cannot start {module.name}: it builds on modules not yet exported into your "
              f"tinytorch ({workspace.package}): {names}.", file=sys.stderr)
        print(f"Finish them first, e.g. `tito module complete {_short(missing[0])}` "
              f"(or start anyway with --force).", file=sys.stderr)
        return 1
    for gap in unavailable:
        print(f"note: {gap.name} comes before {module.name} but is not in this distribution yet.")
    notebook = workspace.notebook(module)
    if notebook.is_file():
        print(f"{module.name} is already started; your notebook:")
    else:
        release = dist.module(module.name).release_notebook.parent
        shutil.copytree(release, notebook.parent, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        print(f"Started {module.name}; your notebook:")
    print(notebook)
    if args.open:
        return _open_lab(workspace, notebook)
    print(f"Open it in JupyterLab with `tito module start {_short(module)} --open`; "
          f"check your work with `tito module test {_short(module)}`.")
    return 0


def _lab_command():
    lab = shutil.which("jupyter-lab")
    if lab:
        return [lab]
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "jupyterlab"]


def _open_lab(workspace: Workspace, notebook: Path) -> int:
    command = _lab_command()
    if command is None:
        print("JupyterLab is not installed here (pip install jupyterlab); open the notebook "
              "above in any Jupyter with your workspace on PYTHONPATH.", file=sys.stderr)
        return 1
    relative = notebook.relative_to(workspace.root)
    print(f"Opening JupyterLab on {relative} (PYTHONPATH starts with {workspace.root}) ...", flush=True)
    return subprocess.call([*command, f"--ServerApp.root_dir={workspace.root}", str(relative)],
                           cwd=workspace.root, env=workspace.kernel_environment())


def _test(workspace: Workspace, dist: Distribution, module: Module):
    notebook = _started(workspace, module)
    print(f"Testing {module.name}: {notebook}")
    print(f"  in a fresh kernel, importing tinytorch from {workspace.package}", flush=True)
    started = time.perf_counter()
    executed = execute(notebook, workspace.kernel_environment())
    release = nbformat.read(dist.module(module.name).release_notebook, as_version=4)
    run = score(executed, release)
    width = max((len(s.grade_id) for s in run.steps), default=10)
    for step in run.steps:
        mark = "PASS" if step.passed else "FAIL"
        line = f"  {mark}  {step.grade_id:{width}s}  {step.score:g}/{step.max_score:g}"
        print(line + (f"  {step.failure}" if step.failure else ""))
    passed = sum(s.passed for s in run.steps)
    print(f"{passed}/{len(run.steps)} steps passed, {run.score:g}/{run.max_score:g} points "
          f"({time.perf_counter() - started:.0f} s). These are the visible tests; the hidden "
          "ones run when your work is graded.")
    if run.first_error and not run.all_passed:
        print(f"First error outside the test cells: {run.first_error}")
    for grade_id in run.edited_locked:
        print(f"warning: you changed the locked cell {grade_id}; grading uses the original.")
    workspace.record(module, test={"score": run.score, "max_score": run.max_score,
                                   "passed": passed, "steps": len(run.steps)})
    return run


def cmd_test(args) -> int:
    dist, workspace = _context(args)
    module = _module(dist, args.module)
    workspace.ensure()
    return 0 if _test(workspace, dist, module).all_passed else 1


def _export(workspace: Workspace, module: Module) -> int:
    notebook = _started(workspace, module)
    try:
        path = export_notebook(notebook, workspace.root)
    except ExportError as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    workspace.record(module, exported=str(path))
    print(f"Exported your {module.name} into {path}")
    return 0


def cmd_export(args) -> int:
    dist, workspace = _context(args)
    module = _module(dist, args.module)
    workspace.ensure()
    return _export(workspace, module)


def cmd_complete(args) -> int:
    dist, workspace = _context(args)
    module = _module(dist, args.module)
    workspace.ensure()
    run = _test(workspace, dist, module)
    if not run.all_passed and not args.force:
        print(f"Not exported: later modules import {module.name} from your tinytorch, so it is "
              f"exported once every step passes. Fix the failing steps, or export as it is "
              f"with `tito module export {_short(module)}`.", file=sys.stderr)
        return 1
    status = _export(workspace, module)
    if status == 0:
        following = [m for m in dist.available() if m.number > module.number]
        if following:
            print(f"Next: tito module start {_short(following[0])}")
    return status


def module_state(workspace: Workspace, dist: Distribution, module: Module) -> str:
    if not dist.is_available(module):
        return "not available yet"
    if workspace.is_exported(module, dist):
        exported_at = workspace.progress().get(module.name, {}).get("exported_at", 0)
        if workspace.is_started(module) and workspace.notebook(module).stat().st_mtime > exported_at + 1:
            return "exported, notebook changed since"
        return "exported"
    return "in progress" if workspace.is_started(module) else "not started"


def cmd_status(args) -> int:
    dist, workspace = _context(args)
    progress = workspace.progress()
    print(f"Workspace {workspace.root}  (course: {dist.root})")
    print(f"  {'module':18s} {'state':34s} last test")
    for name in MODULE_NAMES:
        module = Module(name)
        test = progress.get(name, {}).get("test")
        last = "-" if not test else (
            f"{test['score']:g}/{test['max_score']:g} points, {test['passed']}/{test['steps']} steps, "
            + time.strftime("%Y-%m-%d %H:%M", time.localtime(progress[name]["test_at"])))
        print(f"  {name:18s} {module_state(workspace, dist, module):34s} {last}")
    return 0


def cmd_doctor(args) -> int:
    from .doctor import run_doctor

    dist, workspace = _context(args)
    return run_doctor(dist, workspace)


# --- the parser ----------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tito", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--workspace", metavar="DIR",
                     help="your workspace (default: TINYTORCH_WORKSPACE, or found from here)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="make a workspace: an empty tinytorch package and notebooks/",
                               description="Create a workspace folder for your work on the course.")
    init.add_argument("dir", nargs="?", default=".", help="the folder to make (default: here)")
    init.set_defaults(run=cmd_init)

    module = commands.add_parser("module", help="start, test, export or complete a module",
                                 description="Work on one module; NN is its number (01) or name (01_tensor).")
    actions = module.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = actions.add_parser("start", help="copy the module's notebook into your workspace",
                               description="Copy module NN's notebook into your workspace and print "
                                           "its path. Refuses while an earlier module is not exported.")
    start.add_argument("module", metavar="NN")
    start.add_argument("--open", action="store_true", help="open the notebook in JupyterLab")
    start.add_argument("--force", action="store_true", help="start even if earlier modules are not exported")
    start.set_defaults(run=cmd_start)

    test = actions.add_parser("test", help="run your notebook in a fresh kernel and show each step",
                              description="Run your notebook top to bottom in a fresh kernel (your "
                                          "tinytorch first on the path), like nbgrader validate, and print "
                                          "every graded step: PASS/FAIL, points and the first line of the "
                                          "failure. Exits 1 unless every step passes.")
    test.add_argument("module", metavar="NN")
    test.set_defaults(run=cmd_test)

    export = actions.add_parser("export", help="write your solution cells into your tinytorch",
                                description="Export the module's #| export cells from your notebook into "
                                            "your tinytorch package, whatever the tests say.")
    export.add_argument("module", metavar="NN")
    export.set_defaults(run=cmd_export)

    complete = actions.add_parser("complete", help="test, then export if every step passes",
                                  description="Test the module, then export it when every graded step "
                                              "passes: later modules build on it.")
    complete.add_argument("module", metavar="NN")
    complete.add_argument("--force", action="store_true", help="export even if some steps fail")
    complete.set_defaults(run=cmd_complete)

    status = commands.add_parser("status", help="progress over the nineteen modules",
                                 description="Each module: not started, in progress, or exported, "
                                             "with the points of its last `tito module test`.")
    status.set_defaults(run=cmd_status)

    doctor = commands.add_parser("doctor", help="check Python, packages, workspace and kernel",
                                 description="Check what the course needs and say what to fix.")
    doctor.set_defaults(run=cmd_doctor)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except WorkspaceError as error:
        print(f"tito: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
