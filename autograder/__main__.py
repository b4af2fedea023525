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


def cmd_grade(args) -> int:
    import time

    from .course import Course, CourseError
    from .grade import grade_class, summary

    started = time.monotonic()
    try:
        course = Course.open(args.course)
        results = grade_class(course, args.module, args.student, workers=args.workers,
                              timeout=args.timeout, feedback=not args.no_feedback)
    except (CourseError, FileNotFoundError, RuntimeError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    print(summary(results, time.monotonic() - started))
    return 0 if all(r.status != "missing" for r in results) else 1


def cmd_report(args) -> int:
    from .course import Course, CourseError
    from .grade import protect
    from .reports import write_reports

    try:
        course = Course.open(args.course)
        paths = write_reports(course)
        protect(course)
    except CourseError as error:
        print(f"report: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"wrote {path}")
    return 0


def cmd_sandbox(args) -> int:
    from . import sandbox

    if args.action == "install":
        folder = sandbox.install(Path(args.prefix))
        print(f"installed the {sandbox.KERNEL_NAME} kernel in {folder}")
        if not sandbox.running_as_root():
            print("not root: kernels get the resource limits but run as this user (docs/grading.md)")
    result = sandbox.probe()
    ok = result.returncode == 0 and result.stdout.strip() == "ok"
    print("sandbox check: " + ("a sandboxed Python imports numpy, ipykernel, tinytorch and autograder"
                               if ok else f"FAILED\n{result.stderr.strip()}"))
    return 0 if ok else 1


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

    grade = commands.add_parser("grade", help="autograde every submission of a course folder, write reports and feedback")
    grade.add_argument("course", help="the course folder (submitted/<student>/<module>/<module>.ipynb)")
    grade.add_argument("--module", action="append", default=[], help="grade this module only (repeatable)")
    grade.add_argument("--student", action="append", default=[], help="grade this student only (repeatable)")
    grade.add_argument("--workers", type=int, default=1, help="notebooks graded at once (default 1)")
    grade.add_argument("--timeout", type=float, default=1800,
                       help="seconds one notebook may take in all before it is stopped and scored 0 (default 1800)")
    grade.add_argument("--no-feedback", action="store_true", help="skip nbgrader generate_feedback")
    grade.set_defaults(run=cmd_grade)

    report = commands.add_parser("report", help="write reports/scores.csv and reports/report.md from the gradebook")
    report.add_argument("course", help="the course folder")
    report.set_defaults(run=cmd_report)

    sandbox = commands.add_parser("sandbox", help="install or check the grading sandbox kernel (docs/grading.md)")
    sandbox.add_argument("action", choices=("install", "check"))
    sandbox.add_argument("--prefix", default=sys.prefix,
                         help="install the kernelspec under PREFIX/share/jupyter/kernels (default: this Python's)")
    sandbox.set_defaults(run=cmd_sandbox)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
