"""End to end on a real JupyterHub: release 01_tensor, two students fetch, one completes it,
both submit, the instructor collects and autogrades, and the scores come out right.

Everything goes through the hub's proxy on 127.0.0.1 with tokens the hub issued:
- the hub REST API (with the test's service token) starts each student's server;
- the instructor's token drives the formgrader service (generate, release, collect,
  autograde, read the scores), as the formgrader UI does;
- each student's own token drives nbgrader's assignment-list extension on their own server
  (fetch, submit) and Jupyter's contents API (the completed notebook is saved through it).

In CI (CI=true) this test runs: missing root, JupyterHub or configurable-http-proxy is a
failure. Elsewhere it is skipped with the reason.
"""
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from autograder.modules import find_module
from autograder.sample_class import filled_notebook

from tests.hub.harness import COURSE_ID, Hub

HUB_VENV = Path(os.environ.get("TINYTORCH_HUB_VENV", "/opt/tinytorch-hub/venv"))
USERS = {"tt-grader": "grader", "tt-teacher": "instructor", "tt-alice": "student", "tt-bob": "student"}
MODULE = "01_tensor"


def _missing():
    if os.geteuid() != 0:
        return "needs root: it creates Unix users (run `make test-hub` as root)"
    if not (HUB_VENV / "bin" / "jupyterhub").is_file():
        return f"no JupyterHub in {HUB_VENV}: run `make hub-deps`"
    if not shutil.which("configurable-http-proxy"):
        return "configurable-http-proxy is not on PATH: run `make hub-deps`"
    if shutil.which("useradd") is None:
        return "useradd is not available"
    probe = subprocess.run(["runuser", "-u", "nobody", "--", str(HUB_VENV / "bin" / "python"), "-c", "1"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{HUB_VENV} is not usable by other users: {probe.stderr.strip()}"
    return None


@pytest.fixture(scope="module")
def hub():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the hub test must run in CI: {reason}")
        pytest.skip(reason)
    started = time.perf_counter()
    hub = Hub(HUB_VENV, USERS)
    try:
        hub.start()
        hub.tokens = {name: hub.user_token(name) for name in USERS if USERS[name] != "grader"}
        for student in hub.named("student"):
            hub.start_server(student)
        hub.wait_for_service(hub.tokens["tt-teacher"])
        print(f"\nhub (start attempt {hub.attempts}), service and two student servers up in "
              f"{time.perf_counter() - started:.1f} s")
        yield hub
    finally:
        hub.stop()


def formgrader(hub, method, path):
    status, data, _ = hub.request(method, f"/services/{COURSE_ID}/formgrader/api/{path}",
                                  hub.tokens["tt-teacher"])
    assert status == 200, f"{method} formgrader/api/{path}: {status} {data}\n{hub.log_tail()}"
    if isinstance(data, dict) and "success" in data:
        assert data["success"], f"{method} formgrader/api/{path} failed: {data.get('error') or data}"
    return data


def assignment_action(hub, student, action):
    status, data, _ = hub.request(
        "POST", f"/user/{student}/assignments/{action}?course_id={COURSE_ID}&assignment_id={MODULE}",
        hub.tokens[student])
    assert status == 200, f"{student} {action}: {status} {data}"
    if isinstance(data, dict) and "success" in data:
        assert data["success"], f"{student} {action} failed: {data}"
    return data


def test_release_fetch_submit_collect_autograde_through_the_hub(hub):
    timings = {}
    clock = time.perf_counter()
    formgrader(hub, "POST", f"assignment/{MODULE}/assign")
    formgrader(hub, "POST", f"assignment/{MODULE}/release")
    assert (hub.exchange / COURSE_ID / "outbound" / MODULE / f"{MODULE}.ipynb").is_file()
    timings["generate + release"] = time.perf_counter() - clock

    clock = time.perf_counter()
    for student in hub.named("student"):
        listing = assignment_action(hub, student, "fetch")
        fetched = hub.home(student) / "tinytorch-course" / MODULE / f"{MODULE}.ipynb"
        assert fetched.is_file(), f"{student}'s fetch did not land in their workspace: {listing}"
        assert fetched.stat().st_uid == pwd.getpwnam(student).pw_uid, "fetched as the student's own user"
    # tt-alice completes the module; her notebook is saved through the hub like JupyterLab does
    status, data, _ = hub.request(
        "PUT", f"/user/tt-alice/api/contents/{MODULE}/{MODULE}.ipynb", hub.tokens["tt-alice"],
        {"type": "notebook", "format": "json", "content": filled_notebook(find_module(MODULE))})
    assert status == 200, f"saving alice's notebook: {status} {data}"
    for student in hub.named("student"):
        assignment_action(hub, student, "submit")
    timings["fetch + save + submit"] = time.perf_counter() - clock

    clock = time.perf_counter()
    formgrader(hub, "POST", f"assignment/{MODULE}/collect")
    for student in hub.named("student"):
        assert (hub.course / "submitted" / student / MODULE / f"{MODULE}.ipynb").is_file()
        formgrader(hub, "POST", f"submission/{MODULE}/{student}/autograde")
    timings["collect + autograde"] = time.perf_counter() - clock

    scores = {s["student"]: (s["score"], s["max_score"]) for s in formgrader(hub, "GET", f"submissions/{MODULE}")}
    print("\n" + ", ".join(f"{k}: {v:.1f} s" for k, v in timings.items()), "| scores:", scores)
    full = sum(c.metadata["nbgrader"]["points"] for c in nbformat.read(
        find_module(MODULE).source_notebook, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert set(scores) == {"tt-alice", "tt-bob"}, f"student ids are the Unix users: {scores}"
    assert scores["tt-alice"] == (full, full), f"the completed notebook should get full marks: {scores}"
    assert scores["tt-bob"] == (0, full), f"the untouched notebook should score 0: {scores}"


def test_the_formgrader_service_is_for_instructors_only(hub):
    path = f"/services/{COURSE_ID}/formgrader/api/assignments"
    assert hub.request("GET", path, hub.tokens["tt-teacher"])[0] == 200
    status = hub.request("GET", path, hub.tokens["tt-alice"])[0]
    assert status == 403, f"a student reached the formgrader service: {status}"
    # ... and a student's own server has no formgrader, while their Assignments tab works
    status = hub.request("GET", "/user/tt-alice/formgrader/api/assignments", hub.tokens["tt-alice"])[0]
    assert status == 404, f"a student's server runs the formgrader: {status}"
    status = hub.request("GET", f"/user/tt-alice/assignments?course_id={COURSE_ID}", hub.tokens["tt-alice"])[0]
    assert status == 200


def test_a_student_cannot_use_another_students_server(hub):
    status = hub.request("GET", "/user/tt-bob/api/contents", hub.tokens["tt-alice"])[0]
    assert status in (403, 404), f"alice reached bob's server: {status}"
    assert hub.request("GET", "/user/tt-bob/api/contents", hub.tokens["tt-bob"])[0] == 200


def test_formgrader_may_be_framed_but_students_servers_may_not(hub):
    _, _, headers = hub.request("GET", f"/services/{COURSE_ID}/formgrader", hub.tokens["tt-teacher"], raw=True)
    assert headers.get("Content-Security-Policy") == "frame-ancestors 'self'", dict(headers)
    _, _, headers = hub.request("GET", "/user/tt-alice/api/contents", hub.tokens["tt-alice"], raw=True)
    assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), dict(headers)


def test_a_students_workspace_holds_their_own_empty_tinytorch(hub):
    package = hub.home("tt-bob") / "tinytorch-course" / "tinytorch"
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*.py"))
    assert files == ["__init__.py", "core/__init__.py", "perf/__init__.py", "text/__init__.py"], files
    assert package.stat().st_uid == pwd.getpwnam("tt-bob").pw_uid


def test_a_students_jupyterlab_renders_the_module_notebook_in_chromium(hub, tmp_path):
    from tests.hub.browser import Browser, chromium_path

    if not chromium_path():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    notebook = nbformat.read(find_module(MODULE).release_notebook, as_version=4)
    heading = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip()  # "Module 01 — Tensor"
    token = hub.tokens["tt-alice"]
    assert hub.request("PUT", "/user/tt-alice/api/contents/browser-check", token,
                       {"type": "directory"})[0] in (200, 201)
    status, data, _ = hub.request("PUT", f"/user/tt-alice/api/contents/browser-check/{MODULE}.ipynb", token,
                                  {"type": "notebook", "format": "json", "content": notebook})
    assert status in (200, 201), f"{status} {data}"

    browser = Browser()
    try:
        browser.open(f"{hub.url}/user/tt-alice/lab/tree/browser-check/{MODULE}.ipynb",
                     {"Authorization": f"token {token}"})
        rendered = browser.wait_for_text(heading)
        shot = Path(os.environ.get("TINYTORCH_SCREENSHOT_DIR", tmp_path)) / "student-lab-01_tensor.png"
        browser.screenshot(shot)
        page = browser.text()
    finally:
        browser.close()
    assert rendered, f"JupyterLab did not show {heading!r}; the page said:\n{page[:1500]}"
    assert shot.stat().st_size > 10_000, "the screenshot is empty"
    assert "YOUR CODE HERE" in page or "Tensor" in page
