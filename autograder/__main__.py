"""Command line: `python -m autograder <command>`; `--help` on any command explains it."""
import argparse
import sys
from pathlib import Path

from .modules import PROJECT_ROOT


def cmd_build(args) -> int:
    from .build import build, stale_files

    if args.check:
        problems = stale_files(PROJECT_ROOT)
        for problem in problems:
            print(f"stale: {problem}")
        if problems:
            print("Generated files are out of date with modules/: run `make build` and commit.")
            return 1
        print("source/, release/ and tinytorch/ are up to date with modules/.")
        return 0
    build(PROJECT_ROOT)
    return 0


def cmd_export(args) -> int:
    from .export import ExportError, export_notebook

    try:
        for notebook in args.notebooks:
            path = export_notebook(Path(notebook), Path(args.to))
            print(f"{notebook} -> {path}")
    except ExportError as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Path(args.dir))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="regenerate source/, release/ and tinytorch/ from modules/")
    build.add_argument("--check", action="store_true",
                       help="rebuild in a scratch folder and report generated files that are out of date")
    build.set_defaults(run=cmd_build)

    export = commands.add_parser("export", help="export notebooks' #| export cells into a package folder")
    export.add_argument("notebooks", nargs="+", help="notebooks (.ipynb) to export, e.g. your filled-in release notebook")
    export.add_argument("--to", default=".", help="folder that holds (or will hold) your tinytorch/ package (default: here)")
    export.set_defaults(run=cmd_export)

    demo = commands.add_parser("demo", help="autograde a sample class (reference, blank, buggy) and print scores")
    demo.add_argument("--dir", default=str(PROJECT_ROOT / "build" / "demo"), help="scratch course folder (recreated)")
    demo.set_defaults(run=cmd_demo)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
