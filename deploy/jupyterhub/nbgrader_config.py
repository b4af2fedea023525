"""Global nbgrader configuration for the hub: install as /etc/jupyter/nbgrader_config.py.

Every nbgrader command and extension, on every user's server and in the grading service,
reads it. The course's own settings (timeouts, the reference package on PYTHONPATH for
grading) live in the course repository's nbgrader_config.py, which the grading service loads
from its working folder.
"""
import os

c = get_config()  # noqa: F821

# Students fetch and submit this course without choosing it.
c.CourseDirectory.course_id = "tinytorch"

# The exchange: released assignments and submissions pass through here. It must exist and
# be writable by all users (README.md, step 4).
c.Exchange.root = "/srv/nbgrader/exchange"

# Fetched modules land directly in the server's root folder (the student's workspace) as
# NN_name/, where `tito` finds them; not in a tinytorch/ course folder, which would clash
# with the student's own tinytorch package.
c.Exchange.path_includes_course = False

# ... and that root folder is the student's workspace (jupyterhub_config.py sets
# TINYTORCH_WORKSPACE for every user's server). nbgrader would otherwise fetch into the
# server's working folder, the home folder, outside what the student's JupyterLab shows.
if os.environ.get("TINYTORCH_WORKSPACE"):
    c.Exchange.assignment_dir = os.environ["TINYTORCH_WORKSPACE"]
