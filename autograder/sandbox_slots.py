"""Sandbox slots: the unprivileged users that grading kernels run as, one per kernel.

A slot is a system user `tinytorch-sandbox-N` of the group `tinytorch-sandbox`, created on
first use, and a lock file in /run/tinytorch-sandbox that its launcher holds while its kernel
runs, so kernels graded side by side never share a user, a process count or a folder. The
slot's state file lists what the launcher granted; cleaning a slot kills every process of
its user, takes the grants back and deletes the kernel's private HOME, so a slot whose
launcher was killed is cleaned when it is next taken.

Standard library only (with acl.py): this runs as root, in a student's folder.
"""
import fcntl
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from . import acl

GROUP = "tinytorch-sandbox"
STATE_DIR = Path("/run/tinytorch-sandbox")
SLOTS = 64


def _locked(path: Path):
    """An exclusive lock on a file of the state folder (released when its fd is closed)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def state_dir() -> Path:
    STATE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = STATE_DIR.lstat()
    if info.st_uid != 0 or STATE_DIR.is_symlink() or info.st_mode & 0o077:
        raise RuntimeError(f"{STATE_DIR} must be a folder of root's, mode 0700")
    return STATE_DIR


class folders_locked:
    """Held while a launcher changes ACLs: two launchers adding entries to the same folder
    (one student's two modules, graded side by side) must not overwrite each other's."""

    def __enter__(self):
        self.fd = _locked(state_dir() / "folders.lock")

    def __exit__(self, *_):
        os.close(self.fd)


def ensure_account(name: str) -> tuple:
    """(uid, gid) of a sandbox user, created on first use: no home, no shell, no password."""
    fd = _locked(state_dir() / "accounts.lock")  # useradd runs of two launchers must not race
    try:
        try:
            grp.getgrnam(GROUP)
        except KeyError:
            subprocess.run(["groupadd", "--system", GROUP], check=True, capture_output=True)
        try:
            pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--gid", GROUP, "--no-create-home", "--home-dir",
                            "/nonexistent", "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid
    finally:
        os.close(fd)


class Slot:
    """One sandbox user, locked for one kernel; its state file lists what it was granted."""

    def __init__(self, number: int, fd: int):
        self.number, self.fd = number, fd
        self.user = f"{GROUP}-{number}"
        self.uid, self.gid = ensure_account(self.user)
        self.state = state_dir() / f"slot-{number}.json"

    @classmethod
    def acquire(cls) -> "Slot":
        for number in range(SLOTS):
            fd = os.open(state_dir() / f"slot-{number}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return cls(number, fd)
        raise RuntimeError(f"all {SLOTS} sandbox slots are busy")

    def record(self, **state) -> None:
        self.state.write_text(json.dumps(state))

    def clean(self) -> None:
        """Kill the user's processes, take back its folder and grants, delete its HOME."""
        kill_user_processes(self.uid, self.gid)
        try:
            state = json.loads(self.state.read_text())
        except (OSError, ValueError):
            return
        if state.get("workdir"):
            give_back(Path(state["workdir"]), self.uid)
        with folders_locked():
            for path in state.get("traverse", []):
                try:
                    acl.remove_entry(path, acl.USER, self.uid)
                except OSError:
                    pass
        if state.get("home"):
            shutil.rmtree(state["home"], ignore_errors=True)
        self.state.unlink()

    def release(self) -> None:
        os.close(self.fd)


def clean_free_slots() -> None:
    """Clean every slot no kernel holds: processes left by a launcher that was killed."""
    if not STATE_DIR.is_dir():
        return
    for lock in sorted(STATE_DIR.glob("slot-*.lock")):
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        slot = Slot(int(lock.stem.split("-")[1]), fd)
        slot.clean()
        slot.release()


def processes_of(uid: int) -> list:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def kill_user_processes(uid: int, gid: int) -> None:
    """SIGKILL every process of the user, fork bombs included: a child that becomes the user
    and calls kill(-1) reaches all of them at once, however fast they fork."""
    for _ in range(20):
        if not processes_of(uid):
            return
        child = os.fork()
        if child == 0:
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        time.sleep(0.05)


def give_back(folder: Path, uid: int) -> None:
    """Return what the user owns in its folder to root (lchown: never follow its symlinks)."""
    if not folder.is_dir():
        return
    for where, dirs, files in os.walk(folder):
        for name in [where, *(os.path.join(where, n) for n in dirs + files)]:
            try:
                if os.lstat(name).st_uid == uid:
                    os.lchown(name, 0, 0)
            except OSError:
                pass
