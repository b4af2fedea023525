"""Course tooling for TinyTorch: build, export, gradient checks, grading.

Run `python -m autograder --help` for the commands.
"""
