"""JupyterHub for the TinyTorch course, with nbgrader's exchange and formgrader.

One course (`tinytorch`), one shared grading account running the formgrader as a hub
service, instructors who reach it through a group, and students who fetch and submit through
nbgrader's exchange, each from a single-user server run as their own Unix user (so nbgrader
records their real user name as the student id). README.md beside this file walks through
the install; every setting below says why it is set.

The names at the top are the ones an admin changes. Each can also be set by the environment
variable named beside it (the end-to-end test in tests/hub/ runs this very file that way).
"""
import os
import pwd
import shutil

c = get_config()  # noqa: F821 -- JupyterHub injects get_config when it loads this file


def _setting(variable, default):
    return os.environ.get(variable, default)


def _names(variable, default):
    return [n for n in _setting(variable, default).replace(",", " ").split() if n]


# --- What an admin sets ------------------------------------------------------------------

COURSE_ID = "tinytorch"  # nbgrader's course id; also the formgrader service's name
GRADER = _setting("TINYTORCH_GRADER", "grader-tinytorch")  # the Unix account that owns the course
INSTRUCTORS = _names("TINYTORCH_INSTRUCTORS", "instructor1")  # may open the formgrader
STUDENTS = _names("TINYTORCH_STUDENTS", "student1 student2")
ADMINS = _names("TINYTORCH_ADMINS", "")  # hub admins (the admin panel); may be empty
# The course repository, checked out for the grading account: source/, release/, the
# reference tinytorch/ and nbgrader_config.py (which makes this folder nbgrader's root).
COURSE_DIR = _setting("TINYTORCH_COURSE_DIR", f"/home/{GRADER}/tinytorch")
# The environment every server runs from (`make hub-venv`): readable by all users.
HUB_VENV = _setting("TINYTORCH_HUB_VENV", "/opt/tinytorch-hub/venv")
# `make student-dist` output, copied here: notebooks, tito, course tooling, empty tinytorch.
STUDENT_DIST = _setting("TINYTORCH_STUDENT_DIST", "/opt/tinytorch/student")
# The folder holding the global nbgrader_config.py (course id, exchange root).
GLOBAL_CONFIG_DIR = _setting("TINYTORCH_GLOBAL_CONFIG_DIR", "/etc/jupyter")
# Each student's workspace, inside their home: fetched modules land here, next to their own
# tinytorch/ package, and it is the root of what their JupyterLab shows.
WORKSPACE_NAME = "tinytorch-course"
SERVICE_PORT = int(_setting("TINYTORCH_SERVICE_PORT", "9999"))  # the formgrader service, on 127.0.0.1

HERE = os.path.dirname(os.path.abspath(__file__))

# --- Users and groups (nbgrader's JupyterHub docs, nbgrader 0.9) ----------------------------

# Local Unix accounts with PAM passwords (JupyterHub's default authenticator). Only these
# users may log in; add a student here and to STUDENTS, then restart the hub.
c.Authenticator.allowed_users = set(INSTRUCTORS + STUDENTS + ADMINS)
c.Authenticator.admin_users = set(ADMINS)

# nbgrader's naming: `formgrade-<course>` is who may grade, `nbgrader-<course>` who takes
# the course. (With one course and the course id set in the global nbgrader_config.py the
# student group only serves the course list; it is what a second course would build on.)
c.JupyterHub.load_groups = {
    f"formgrade-{COURSE_ID}": {"users": INSTRUCTORS},
    f"nbgrader-{COURSE_ID}": {"users": STUDENTS},
}
c.JupyterHub.load_roles = [
    {   # instructors reach the grading service, and can discover it (the course list needs to)
        "name": f"formgrade-{COURSE_ID}",
        "groups": [f"formgrade-{COURSE_ID}"],
        "scopes": [f"access:services!service={COURSE_ID}", "list:services",
                   f"read:services!service={COURSE_ID}"],
    },
    {   # students can discover the course's service but not open it
        "name": f"nbgrader-{COURSE_ID}",
        "groups": [f"nbgrader-{COURSE_ID}"],
        "scopes": ["list:services", f"read:services!service={COURSE_ID}"],
    },
    {   # a server's own token may do what its owner may: nbgrader's course list asks the hub
        "name": "server",
        "scopes": ["inherit"],
    },
]

# --- The formgrader, as a hub service run by the grading account --------------------------

# One shared Jupyter server for all instructors, started and stopped with the hub, running
# as GRADER in the course folder, so that the formgrader finds nbgrader_config.py there and
# the course root is the server's root (nbgrader requires it to be inside the server root).
# Its JupyterLab opens on /lab; instructors reach it at /services/tinytorch/.
c.JupyterHub.services = [
    {
        "name": COURSE_ID,
        "url": f"http://127.0.0.1:{SERVICE_PORT}",
        "command": [os.path.join(HUB_VENV, "bin", "jupyterhub-singleuser")],
        "user": GRADER,
        "cwd": COURSE_DIR,
        "oauth_no_confirm": True,
        "environment": {
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            # The formgrader's own server config (the CSP below) and the global nbgrader config.
            "JUPYTER_CONFIG_PATH": os.pathsep.join([os.path.join(HERE, "formgrader"), GLOBAL_CONFIG_DIR]),
            "PATH": os.pathsep.join([os.path.join(HUB_VENV, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
        },
    },
]
# The formgrader-in-an-iframe pitfall: from JupyterHub 4.1 on, every single-user server sends
# `Content-Security-Policy: frame-ancestors 'none'`, and JupyterLab's Formgrader tab, an
# iframe, stays blank. formgrader/jupyter_server_config.py relaxes it to 'self' for the
# grading service only; students' servers keep 'none' (see README.md, "Formgrader tab").

# --- Students' and instructors' own servers -------------------------------------------------

c.Spawner.cmd = [os.path.join(HUB_VENV, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~/" + WORKSPACE_NAME


def _home(spawner):
    return pwd.getpwnam(spawner.user.name).pw_dir


def _workspace(spawner):
    return os.path.join(_home(spawner), WORKSPACE_NAME)


def make_workspace(spawner):
    """Before a server starts: the user's workspace with an empty tinytorch package of their
    own (copied from the distribution), owned by them. Never overwrites their work."""
    user = pwd.getpwnam(spawner.user.name)
    workspace = _workspace(spawner)
    package = os.path.join(workspace, "tinytorch")
    os.makedirs(workspace, exist_ok=True)
    created = [workspace]
    if not os.path.exists(package) and os.path.isdir(os.path.join(STUDENT_DIST, "tinytorch")):
        shutil.copytree(os.path.join(STUDENT_DIST, "tinytorch"), package)
        created += [os.path.join(d, n) for d, dirs, files in os.walk(package) for n in [""] + dirs + files]
    os.makedirs(os.path.join(workspace, ".tito"), exist_ok=True)
    created.append(os.path.join(workspace, ".tito"))
    for path in created:
        os.chown(path, user.pw_uid, user.pw_gid)


c.Spawner.pre_spawn_hook = make_workspace
c.Spawner.environment = {
    # Notebooks import the student's own tinytorch (their workspace first), then the course
    # tooling (autograder.gradcheck) from the distribution. `tito` finds the workspace here.
    "PYTHONPATH": lambda spawner: os.pathsep.join([_workspace(spawner), STUDENT_DIST]),
    "TINYTORCH_WORKSPACE": _workspace,
    "TINYTORCH_COURSE": STUDENT_DIST,
    # student/: no formgrader or Create Assignment on students' servers; then the global
    # nbgrader config (course id, exchange).
    "JUPYTER_CONFIG_PATH": os.pathsep.join([os.path.join(HERE, "student"), GLOBAL_CONFIG_DIR]),
    # One BLAS thread per kernel: students share the hub's cores, and kernels that each start
    # a BLAS thread per core fight over them (the same setting grading uses).
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # tito and nbgrader on the PATH of the user's terminals
    "PATH": os.pathsep.join([os.path.join(HUB_VENV, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
}
