"""Problems a person can fix: one hierarchy, raised by intake and the services, told to the
person by the views (`views/common.problem_response`) and the commands. Every `text` says what is
wrong and how to fix it, in the reader's language; it may be a lazy translation until shown."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """Something a person can fix. Views and commands catch this one type."""

    def __init__(self, text: Any) -> None:
        super().__init__(str(text))
        self.text = text


class FileProblem(Problem):
    """A file we cannot read (raised in the upload's cage, so it must pickle: its one argument
    is the text)."""


class MappingProblem(Problem):
    """The confirmed mapping cannot build a grid; the text says what to change."""


class EditProblem(Problem):
    """The change of a grid cannot be made; the text says why and what to do."""


class CellConflict(EditProblem):
    """The cell changed since the page showed it: nothing was saved. `theirs` is its text now,
    `mine` what this person typed; they choose which stays."""

    def __init__(self, text: str, *, row_id: int, target: str, theirs: str, mine: str) -> None:
        super().__init__(text)
        self.row_id, self.target, self.theirs, self.mine = row_id, target, theirs, mine


class ReviewProblem(Problem):
    """A sending option that cannot be chosen; the text says why."""


class SubmissionProblem(Problem):
    """The sending cannot start; the text says why."""


class ThuliumProblem(Problem):
    """Thulium could not be asked, or refused us as a whole (services/connection.py words it)."""


class PersonRequestProblem(Problem):
    """What the administrator must fix before a request about a person's data can run."""


class DoNotContactProblem(Problem):
    """A change or check of the do-not-contact list cannot be made; the text says why."""
