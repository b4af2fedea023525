"""Jupyter server settings for the grading service only (JUPYTER_CONFIG_PATH of the service).

JupyterHub >= 4.1 makes every single-user server send `frame-ancestors 'none'`, which blanks
the Formgrader tab: JupyterLab shows the formgrader in an iframe of the same server. JupyterHub
only sets its default when no policy is configured, so this one wins: the grading server may
be framed by pages of its own origin. Students' servers are left with 'none'.
"""
c = get_config()  # noqa: F821

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
