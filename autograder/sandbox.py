"""The grading sandbox: the kernel that runs student code at autograde time, without Docker.

`python -m autograder sandbox install` writes a Jupyter kernelspec, `tinytorch-sandbox`,
whose command is this file's launcher; nbgrader_config.py selects that kernel whenever it
is installed, so `nbgrader autograde` and `python -m autograder grade` both use it. For
each kernel the launcher (docs/grading.md says what this does and does not protect):

- takes a free slot (sandbox_slots.py): an unprivileged user `tinytorch-sandbox-N` of group
  `tinytorch-sandbox`, created on demand, held by a lock for as long as its kernel runs, so
  kernels graded side by side never share a user, a process count or a folder;
- denies that group every entry of the course folder (and of the project whose `tinytorch`
  and `autograder` the kernel imports) except autograded/, tinytorch/ and autograder/, and
  every other student's autograded/ folder: ACL entries, so nobody else's access changes;
- gives the kernel's working folder, autograded/<student>/<module>/, to the slot user: the
  one folder of the course it can write;
- starts ipykernel under `prlimit` (CPU seconds, address space, processes, file size, no
  core files) and `setpriv` (the slot user, no supplementary groups, no new privileges,
  killed if the launcher dies), with a scrubbed environment and a private HOME;
- when the kernel exits, kills whatever the slot user left running, takes the folder back
  and releases the slot. A slot whose launcher was killed is cleaned when next taken.

Without root, or outside an autograded/<student>/<module>/ folder (`nbgrader validate`), the
kernel runs as the grader, under the same limits (except the process count, which would
count every process of the grader's user), with the same scrubbed environment.

This module imports only the standard library and its siblings acl.py and sandbox_slots.py:
the launcher runs as root in a student's folder and must not import anything from there.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import acl
from .sandbox_slots import GROUP, Slot, ensure_account, folders_locked, kill_user_processes, processes_of

KERNEL_NAME = "tinytorch-sandbox"
PROJECT_ROOT = Path(__file__).resolve().parent.parent

# What a kernel may see in a course (or project) folder; everything else is denied.
VISIBLE = ("autograded", "tinytorch", "autograder")

# The grader's environment variables a kernel gets; everything else (credentials, database
# URLs, tokens) stays with the grader.
PASSED_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "PYTHONPATH",
              "PYTHONHASHSEED", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PASSED_PREFIXES = ("JPY_", "PYDEVD_")

RX, X, NONE = 5, 1, 0


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel, read from the environment nbgrader passes down (the
    course's nbgrader_config.py sets them; a test course lowers them)."""

    cpu_seconds: int = 600   # CPU time of the whole notebook run, not per cell
    memory_mb: int = 4096    # address space: numpy reserves more than it touches
    processes: int = 64      # processes and threads of the slot user; ipykernel runs ~10
    file_mb: int = 64        # largest file the kernel may write
    forks: int = 16          # processes the sandbox user may run before the slot is stopped

    ENV = {"cpu_seconds": "TINYTORCH_SANDBOX_CPU_SECONDS", "memory_mb": "TINYTORCH_SANDBOX_MEMORY_MB",
           "processes": "TINYTORCH_SANDBOX_PROCESSES", "file_mb": "TINYTORCH_SANDBOX_FILE_MB",
           "forks": "TINYTORCH_SANDBOX_FORKS"}

    @classmethod
    def from_env(cls, env=os.environ) -> "Limits":
        return cls(**{field: int(env[var]) for field, var in cls.ENV.items() if env.get(var)})

    def prlimit(self, count_processes: bool) -> list:
        mb = 1 << 20
        # The soft CPU limit sends SIGXCPU; a kernel that ignores it is killed at the hard one.
        command = ["prlimit", f"--cpu={self.cpu_seconds}:{self.cpu_seconds + 2}",
                   f"--as={self.memory_mb * mb}", f"--fsize={self.file_mb * mb}", "--core=0"]
        if count_processes:
            command.append(f"--nproc={self.processes}")
        return command + ["--"]


def kernel_command(connection_file, extra_args, limits: Limits, account=None) -> list:
    """prlimit ... -- setpriv ... -- python -m ipykernel_launcher -f CONNECTION_FILE."""
    setpriv = ["setpriv", "--no-new-privs", "--pdeathsig=KILL"]
    if account:
        uid, gid = account
        setpriv += [f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
    return (limits.prlimit(count_processes=account is not None) + setpriv
            + ["--", sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file), *extra_args])


def kernel_env(env, home: Path, user: str) -> dict:
    kept = {k: v for k, v in env.items() if k in PASSED_ENV or k.startswith(PASSED_PREFIXES)}
    kept.update(HOME=str(home), TMPDIR=str(home), USER=user, LOGNAME=user,
                IPYTHONDIR=str(home / "ipython"), MPLCONFIGDIR=str(home / "matplotlib"))
    return kept


# --- Folders --------------------------------------------------------------------------------

def course_of(workdir: Path):
    """The course root of an autograded/<student>/<module>/ folder, else None."""
    if workdir.parent.parent.name == "autograded":
        return workdir.parent.parent.parent
    return None


def deny_all_but_visible(folder: Path, gid: int, keep=()) -> None:
    """Deny the sandbox group every entry of a course or project folder but VISIBLE ones.

    The folder itself may be listed when it is the project (Python lists a folder on
    PYTHONPATH to import from it), else only passed through. An entry the group may already
    pass through (an ancestor of a course being graded, such as build/ of the project for
    build/demo) keeps that right: taking it away would break a kernel that runs there now.
    """
    acl.set_entry(folder, acl.GROUP, gid, RX if folder == PROJECT_ROOT else X)
    for entry in folder.iterdir():
        if entry.name in VISIBLE or entry.is_symlink() or any(entry == k or entry in k.parents for k in keep):
            continue
        if acl.read(entry).get((acl.GROUP, gid)) != X:
            acl.set_entry(entry, acl.GROUP, gid, NONE)
    autograded = folder / "autograded"
    if autograded.is_dir() and not autograded.is_symlink():
        acl.set_entry(autograded, acl.GROUP, gid, X)
        acl.set_entry(autograded, acl.GROUP, gid, NONE, default=True)  # what nbgrader adds later
        for student in autograded.iterdir():
            if not student.is_symlink():
                acl.set_entry(student, acl.GROUP, gid, NONE)


def make_reachable(path: Path, gid: int) -> None:
    """Let the group pass through every folder above `path` (e.g. root's /root, where pyenv
    keeps the interpreter, or pytest's private /tmp/pytest-of-root): pass, not list."""
    for folder in reversed(path.parents):
        entries = acl.read(folder)
        allowed = entries.get((acl.GROUP, gid), entries[(acl.OTHER, acl.NO_ID)])
        if not allowed & X or ((acl.GROUP, gid) in entries and not entries.get((acl.MASK, acl.NO_ID), 7) & X):
            acl.set_entry(folder, acl.GROUP, gid, X)


def runtime_paths() -> list:
    """What every kernel needs to read: the interpreter, the venv, the project's packages."""
    return [Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)), PROJECT_ROOT / "tinytorch"]


def prepare(workdir: Path, gid: int, uid: int) -> list:
    """Lock the course and project folders, open the kernel's own folder; returns the folders
    granted to this user alone (to take back afterwards)."""
    venv = [Path(sys.prefix)]
    deny_all_but_visible(PROJECT_ROOT, gid, keep=venv)
    for path in runtime_paths():
        make_reachable(path, gid)
    course = course_of(workdir)
    if course is None:
        return []
    if course != PROJECT_ROOT:
        deny_all_but_visible(course, gid, keep=venv)
    make_reachable(course, gid)
    student_folder = workdir.parent
    acl.set_entry(student_folder, acl.USER, uid, X)
    for where, dirs, files in os.walk(workdir):
        for name in [where, *(os.path.join(where, n) for n in dirs + files)]:
            os.lchown(name, uid, gid)
    os.chmod(workdir, 0o700)
    return [str(student_folder)]


def private_home(owner=None) -> Path:
    """HOME, TMPDIR, IPython and matplotlib folders of one kernel, with the grader's font cache
    copied in (building it would print a warning into a student's cell)."""
    home = Path(tempfile.mkdtemp(prefix="tinytorch-sandbox-"))
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    (home / "matplotlib").mkdir()
    (home / "ipython").mkdir()
    for fontlist in cache.glob("fontlist-*.json"):
        shutil.copy(fontlist, home / "matplotlib")
    if owner:
        for where, dirs, files in os.walk(home):
            for name in [where, *(os.path.join(where, n) for n in dirs + files)]:
                os.lchown(name, *owner)
    return home


# --- The launcher ---------------------------------------------------------------------------

CRASHES = (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE)


def _run(command, env, workdir, limits: Limits, account=None) -> int:
    """Run the kernel and wait; say on stderr (which nbgrader's log shows and the grade
    command reads) why a kernel ended that did not exit cleanly. With a sandbox user, stop
    the whole slot when it runs more than `limits.forks` processes: a fork bomb would
    otherwise spin at the process limit, taking the machine's CPU from other students."""
    process = subprocess.Popen(command, env=env, cwd=workdir)
    signal.signal(signal.SIGTERM, lambda *_: process.send_signal(signal.SIGTERM))
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])  # woken by it, below
    why = ""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if account and not why and len(processes_of(account[0])) > limits.forks:
            why = f"the kernel ran more than {limits.forks} processes (a fork bomb?) and was stopped"
            kill_user_processes(*account)
        signal.sigtimedwait([signal.SIGCHLD], 0.5)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    # SIGXCPU comes at the soft CPU limit, SIGKILL at the hard one (rusage lags a little).
    if not why and (-code == signal.SIGXCPU or (-code == signal.SIGKILL and cpu >= 0.9 * limits.cpu_seconds)):
        why = f"the kernel was killed at its CPU time limit ({limits.cpu_seconds} s)"
    elif not why and -code in CRASHES:
        why = (f"the kernel crashed ({signal.Signals(-code).name}) after {cpu:.1f} s of CPU time, "
               f"possibly at the memory limit ({limits.memory_mb} MB)")
    if why:
        print(f"tinytorch-sandbox: {why}", file=sys.stderr, flush=True)
    return code


def running_as_root() -> bool:
    return os.geteuid() == 0


def protect_course(folder: Path) -> None:
    """Deny the sandbox group what a course folder holds but autograded/ (see prepare)."""
    _, gid = ensure_account(f"{GROUP}-0")
    with folders_locked():
        deny_all_but_visible(Path(folder), gid, keep=[Path(sys.prefix)])


def launch(connection_file: str, extra_args: list) -> int:
    # Interrupts reach the kernel through the process group that jupyter_client signals; the
    # launcher only has to survive them (with a handler: SIG_IGN would pass to the kernel).
    signal.signal(signal.SIGINT, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path.cwd()
    limits = Limits.from_env()
    if os.geteuid() != 0 or course_of(workdir) is None:
        # Not root, or not a submission being autograded (`nbgrader validate` of a course
        # notebook): no folder to give a sandbox user, so the limits alone, as the grader.
        home = private_home()
        try:
            command = kernel_command(connection_file, extra_args, limits)
            return _run(command, kernel_env(os.environ, home, "grader"), workdir, limits)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    slot = Slot.acquire()
    try:
        slot.clean()  # what an earlier, killed launcher left behind
        home = private_home(owner=(slot.uid, slot.gid))
        slot.record(home=str(home))
        with folders_locked():
            traverse = prepare(workdir, slot.gid, slot.uid)
        slot.record(home=str(home), workdir=str(workdir) if traverse else None, traverse=traverse)
        connection = home / "connection.json"
        shutil.copy(connection_file, connection)  # the original is readable by root only
        os.chown(connection, slot.uid, slot.gid)
        command = kernel_command(connection, extra_args, limits, account=(slot.uid, slot.gid))
        return _run(command, kernel_env(os.environ, home, slot.user), workdir, limits, (slot.uid, slot.gid))
    finally:
        slot.clean()
        slot.release()


# --- Installing -----------------------------------------------------------------------------

def kernelspec() -> dict:
    return {
        # -P: the launcher starts in a student's folder and must not import from it.
        "argv": [sys.executable, "-P", "-m", "autograder.sandbox", "-f", "{connection_file}"],
        "display_name": "TinyTorch grading sandbox",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }


def install(prefix: Path) -> Path:
    """Write the kernelspec under prefix/share/jupyter/kernels; as root, create the first
    sandbox user and open the way to the interpreter and the project."""
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(kernelspec(), indent=1) + "\n")
    # The font cache the launcher copies into each kernel's private HOME.
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=True, capture_output=True)
    if os.geteuid() == 0:
        _, gid = ensure_account(f"{GROUP}-0")
        with folders_locked():
            deny_all_but_visible(PROJECT_ROOT, gid, keep=[Path(sys.prefix)])
            for path in runtime_paths():
                make_reachable(path, gid)
    return folder


def probe() -> subprocess.CompletedProcess:
    """Import what a notebook needs, as a sandbox user, under the limits."""
    code = "import numpy, ipykernel, matplotlib, tinytorch, autograder.gradcheck; print('ok')"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")])
    account = None
    if os.geteuid() == 0:
        account = ensure_account(f"{GROUP}-0")
    command = kernel_command("-", [], Limits.from_env(), account)
    command = command[:command.index(sys.executable) + 1] + ["-c", code]
    home = private_home(owner=account)
    try:
        return subprocess.run(command, env=kernel_env(env, home, "probe"), cwd=home, capture_output=True, text=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    # Called by jupyter_client as: python -P -m autograder.sandbox -f CONNECTION_FILE [args]
    if len(sys.argv) < 3 or sys.argv[1] != "-f":
        sys.exit("usage: python -P -m autograder.sandbox -f CONNECTION_FILE [kernel arguments]")
    sys.exit(launch(sys.argv[2], sys.argv[3:]))
