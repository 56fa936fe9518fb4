"""Running candidate code for the coding rounds: the sandbox (sandbox.py, with the
child-side scripts child_launch.py and child_boot.py), the grading harness (harness.py
with child_grade.py) and the figures read from the text alone (static.py).

Only the standard library here, so the sandbox can be checked under any interpreter;
import `server.coding.harness` for `run_code`."""

from .limits import Limits
from .sandbox import SandboxResult, run_python

__all__ = ["Limits", "SandboxResult", "run_python"]
