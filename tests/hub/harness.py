"""A real JupyterHub for one test session: Unix users, the course's hub config, all on 127.0.0.1.

Everything lives under one temporary folder (readable by the users it creates): their home
folders, the course folder of the grading account, the exchange, the student distribution,
the global nbgrader config, and the hub's database and logs. `stop()` ends the hub and every
process the test users still run (by pid), deletes the users and the folder.

The hub runs deploy/jupyterhub/jupyterhub_config.py itself; the test's config file only adds
what a test needs on top: addresses on 127.0.0.1, its own database, and an API token.
"""
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.modules import PROJECT_ROOT
from autograder.student_dist import build_student_dist

DEPLOY = PROJECT_ROOT / "deploy" / "jupyterhub"
COURSE_ID = "tinytorch"

TEST_CONFIG = """\
c = get_config()
load_subconfig({deploy_config!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {pid_file!r}
c.JupyterHub.db_url = "sqlite:///{db}"
c.JupyterHub.cookie_secret_file = {cookie!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# The test drives the hub through its REST API with this token.
c.JupyterHub.services.append({{"name": "hub-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{
    "name": "hub-test", "services": ["hub-test"],
    "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users", "read:groups"],
}})
"""

GLOBAL_NBGRADER_CONFIG = """\
c = get_config()
load_subconfig({deploy_config!r})
c.Exchange.root = {exchange!r}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubError(AssertionError):
    pass


class Hub:
    def __init__(self, hub_venv: Path, users: dict):
        """users: {unix name: role}, role one of 'grader', 'instructor', 'student'."""
        self.hub_venv = Path(hub_venv)
        self.users = users
        self.root = Path(tempfile.mkdtemp(prefix="tinytorch-hub-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.process = None
        self.log = self.root / "hub" / "jupyterhub-1.log"
        self.attempts = 0

    # --- set-up --------------------------------------------------------------------------

    def named(self, role):
        return [name for name, r in self.users.items() if r == role]

    def home(self, name) -> Path:
        return self.root / "home" / name

    def create_users(self):
        (self.root / "home").mkdir(mode=0o755)
        for name in self.users:
            try:
                pwd.getpwnam(name)
                subprocess.run(["userdel", name], check=False, capture_output=True)  # a crashed run's
            except KeyError:
                pass
            subprocess.run(["useradd", "--create-home", "--home-dir", str(self.home(name)),
                            "--shell", "/bin/bash", name], check=True, capture_output=True)

    def chown(self, path: Path, name: str):
        entry = pwd.getpwnam(name)
        for current in [path, *path.rglob("*")]:
            os.chown(current, entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    def prepare_course(self):
        grader = self.named("grader")[0]
        course = self.home(grader) / COURSE_ID
        course.mkdir()
        shutil.copy(PROJECT_ROOT / "nbgrader_config.py", course)
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(PROJECT_ROOT / "source" / "01_tensor", course / "source" / "01_tensor", ignore=ignore)
        shutil.copytree(PROJECT_ROOT / "tinytorch", course / "tinytorch", ignore=ignore)
        self.chown(course, grader)
        self.course = course

        exchange = self.root / "exchange"
        exchange.mkdir()
        exchange.chmod(0o777)
        self.exchange = exchange

        # The deployment folder as an admin installs it (README step 5): a copy the users can
        # read, wherever the repository itself is checked out.
        self.deploy = Path(shutil.copytree(DEPLOY, self.root / "deploy",
                                           ignore=shutil.ignore_patterns("__pycache__")))
        self.dist = build_student_dist(self.root / "student")
        config_dir = self.root / "etc-jupyter"
        config_dir.mkdir()
        (config_dir / "nbgrader_config.py").write_text(GLOBAL_NBGRADER_CONFIG.format(
            deploy_config=str(self.deploy / "nbgrader_config.py"), exchange=str(exchange)))
        self.config_dir = config_dir
        for path in [self.dist, config_dir, self.deploy,
                     *self.dist.rglob("*"), *config_dir.rglob("*"), *self.deploy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)

    def start(self, timeout=90):
        self.create_users()
        self.prepare_course()
        hub_dir = self.root / "hub"
        hub_dir.mkdir(mode=0o700)
        config = hub_dir / "jupyterhub_config.py"
        config.write_text(TEST_CONFIG.format(
            deploy_config=str(self.deploy / "jupyterhub_config.py"), port=self.port,
            hub_port=free_port(), proxy_api_port=free_port(), pid_file=str(hub_dir / "proxy.pid"),
            db=hub_dir / "jupyterhub.sqlite", cookie=str(hub_dir / "cookie_secret"), token=self.token))
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env.update({
            "PATH": os.pathsep.join([str(self.hub_venv / "bin"), env.get("PATH", "")]),
            "TINYTORCH_GRADER": self.named("grader")[0],
            "TINYTORCH_INSTRUCTORS": " ".join(self.named("instructor")),
            "TINYTORCH_STUDENTS": " ".join(self.named("student")),
            "TINYTORCH_COURSE_DIR": str(self.course),
            "TINYTORCH_HUB_VENV": str(self.hub_venv),
            "TINYTORCH_STUDENT_DIST": str(self.dist),
            "TINYTORCH_GLOBAL_CONFIG_DIR": str(self.config_dir),
            "TINYTORCH_SERVICE_PORT": str(free_port()),
        })
        # JupyterHub gives a managed service about ten seconds to answer and exits when it
        # does not; on a busy machine the grading server's first start can take longer (cold
        # imports). A second start, with warm caches, is what systemd's Restart= would do.
        for attempt in range(1, 4):
            self.log = hub_dir / f"jupyterhub-{attempt}.log"
            with open(self.log, "w") as log:
                self.process = subprocess.Popen(
                    [str(self.hub_venv / "bin" / "jupyterhub"), "-f", str(config)], cwd=hub_dir,
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            if self._wait_until_up(timeout):
                self.attempts = attempt
                return self
            slow_service = "Cannot connect to" in self.log.read_text(errors="replace")
            if not slow_service:
                break
            for name in self.users:  # the half-started grading server still holds its port
                self._kill_processes_of(name, wait=10)
        raise HubError(f"jupyterhub did not start (exit code {self.process.poll()}):\n{self.log_tail()}")

    def _wait_until_up(self, timeout) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if self.api("GET", "/hub/api/")[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.5)
        os.killpg(self.process.pid, signal.SIGKILL)  # the hub and its proxy
        self.process.wait(timeout=10)
        return False

    # --- talking to it -------------------------------------------------------------------

    def log_tail(self, lines=40) -> str:
        """The end of the hub's log, without the proxy's 404s for the start-up polling."""
        try:
            text = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join([line for line in text if "[ConfigProxy]" not in line][-lines:])

    def request(self, method, path, token, body=None, timeout=300, raw=False):
        """(status, JSON body or text, headers) of one request through the hub's proxy."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text, headers = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, headers = error.code, error.read().decode(errors="replace"), error.headers
        if raw:
            return status, text, headers
        try:
            return status, json.loads(text) if text else None, headers
        except ValueError:
            return status, text, headers

    def api(self, method, path, body=None):
        status, data, _ = self.request(method, path, self.token, body, timeout=30)
        return status, data

    def user_token(self, name) -> str:
        status, data = self.api("POST", f"/hub/api/users/{name}/tokens",
                                {"expires_in": 3600, "note": "hub test"})
        if status != 201:
            raise HubError(f"token for {name}: {status} {data}")
        return data["token"]

    def start_server(self, name, timeout=120):
        status, data = self.api("POST", f"/hub/api/users/{name}/server")
        if status not in (201, 202, 400):  # 400: already running
            raise HubError(f"starting {name}'s server: {status} {data}\n{self.log_tail()}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, data = self.api("GET", f"/hub/api/users/{name}")
            server = (data or {}).get("servers", {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise HubError(f"{name}'s server not ready after {timeout} s:\n{self.log_tail()}")

    def wait_for_service(self, token, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = self.request("GET", f"/services/{COURSE_ID}/api/status", token, timeout=10)
            if status == 200:
                return
            time.sleep(0.5)
        raise HubError(f"the {COURSE_ID} service did not answer within {timeout} s:\n{self.log_tail()}")

    # --- tear-down -----------------------------------------------------------------------

    def stop(self):
        if self.process and self.process.poll() is None:
            for name in self.users:
                try:
                    self.api("DELETE", f"/hub/api/users/{name}/server")
                except OSError:
                    pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for name in self.users:
            for _ in range(20):  # userdel refuses while the user still has processes
                self._kill_processes_of(name, wait=5)
                if subprocess.run(["userdel", name], capture_output=True).returncode in (0, 6):
                    break  # 6: no such user
                time.sleep(0.5)
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_processes_of(self, name, wait=0.0):
        """Whatever the test's own users still run (servers, kernels), by pid; with `wait`,
        until none is left or that many seconds have passed."""
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            return
        deadline = time.monotonic() + wait
        while True:
            found = False
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        if entry.stat().st_uid == uid:
                            found = True
                            os.kill(int(entry.name), signal.SIGKILL)
                    except (OSError, ProcessLookupError):
                        pass
            if not found or time.monotonic() > deadline:
                return
            time.sleep(0.2)
