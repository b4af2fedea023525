"""Export a module notebook's `#| export` cells into a package directory.

The same exporter writes the reference package (from the instructor notebooks, by `make
build`) and a student's own package (from their filled-in release notebook). Directives:

    #| default_exp core.tensor    once per notebook: the cells go to tinytorch/core/tensor.py
    #| export                     this cell's code goes into that file

Solution markers are dropped, their content kept; nothing else of the notebook is copied.
A small exporter of our own rather than nbdev's: nbdev's also wants a settings.ini, writes
an index module and rewrites imports, none of which a course package needs.
"""
import re
from pathlib import Path

import nbformat

from .notebook import SOLUTION

PACKAGE = "tinytorch"
DIRECTIVE = re.compile(r"^#\|\s*(?P<name>[\w-]+)\s*(?P<value>.*?)\s*$")


class ExportError(ValueError):
    """The notebook cannot be exported; the message says why and where."""


def _directives(source: str) -> dict:
    found = {}
    for line in source.splitlines():
        match = DIRECTIVE.match(line)
        if match:
            found[match["name"]] = match["value"]
    return found


def _code_without_directives(source: str) -> str:
    kept = [
        line.rstrip() for line in source.splitlines()
        if not DIRECTIVE.match(line) and line.strip() not in SOLUTION
    ]
    return "\n".join(kept).strip("\n")


def exported_cells(nb) -> tuple:
    """(dotted target inside the package, [code of each export cell]) of one notebook."""
    target, cells = None, []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        directives = _directives(cell.source)
        if "default_exp" in directives:
            target = directives["default_exp"]
        if "export" in directives:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                raise ExportError(f"cell {index + 1} is a graded test cell: tests are not exported")
            cells.append(_code_without_directives(cell.source))
    if cells and not target:
        raise ExportError("the notebook has #| export cells but no '#| default_exp <module path>'")
    if target and not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*", target):
        raise ExportError(f"'#| default_exp {target}' is not a dotted module path")
    return target, cells


def module_file(package_dir: Path, target: str) -> Path:
    """Where `tinytorch.<target>` lives under package_dir (the folder holding tinytorch/)."""
    return Path(package_dir, PACKAGE, *target.split(".")).with_suffix(".py")


def render(cells, header: str) -> str:
    body = "\n\n\n".join(c for c in cells if c)
    return f"{header.rstrip()}\n\n{body}\n"


def export_notebook(notebook: Path, package_dir: Path, header: str = None) -> Path:
    """Write the notebook's export cells to package_dir/tinytorch/...; return the file.

    Missing package folders get an `__init__.py` so the result imports; existing ones are
    left alone (a student's package keeps what earlier exports wrote).
    """
    notebook = Path(notebook)
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as error:  # nbformat raises JSON, schema and OS errors alike
        raise ExportError(f"{notebook}: not a readable notebook ({error})") from error
    try:
        target, cells = exported_cells(nb)
    except ExportError as error:
        raise ExportError(f"{notebook}: {error}") from None
    if not target:
        raise ExportError(f"{notebook}: nothing to export (no '#| default_exp' cell)")
    header = header or (
        f"# Exported from {notebook.name} by `python -m autograder export`.\n"
        "# Change the notebook and export again rather than editing this file."
    )
    path = module_file(package_dir, target)
    ensure_packages(package_dir, path.parent)
    path.write_text(render(cells, header), encoding="utf-8")
    return path


def ensure_packages(package_dir: Path, folder: Path) -> None:
    """Create folder and the __init__.py of every package from tinytorch/ down to it."""
    folder.mkdir(parents=True, exist_ok=True)
    top = Path(package_dir, PACKAGE)
    for current in [folder, *folder.parents]:
        init = current / "__init__.py"
        if not init.exists():
            init.write_text(f'"""{current.name}: a package of your TinyTorch."""\n', encoding="utf-8")
        if current == top:
            break
