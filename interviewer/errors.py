"""The errors the core raises. Each names what went wrong in words a scenario writer can act on."""

from __future__ import annotations


class IllegalEvent(ValueError):
    """The event cannot happen in this state (time went backwards, the round is over).

    Raised before anything changes: the caller keeps the state it had.
    """


class ScenarioError(ValueError):
    """A scenario file is invalid. `str()` is `file:line: message`."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line
        self.message = message


class CheckError(ValueError):
    """A problem found while checking a parsed scenario, located by its path in the document.

    The loader turns the path into a line number and raises a `ScenarioError`.
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
