"""Problems a person can fix, raised below the services (which have their own, see
services/connection.Problem) and told to the person by the views and commands."""

from __future__ import annotations

from typing import Any


class FileProblem(Exception):
    """A file we cannot read. `message` tells the user what is wrong and how to fix it."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message
