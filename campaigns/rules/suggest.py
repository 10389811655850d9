"""“Did you mean”: the status or agent a text most likely means, when it is none exactly.

rapidfuzz does the matching; what is ours is what is compared: texts folded (case, diacritics,
punctuation do not matter), and an agent's login read as the name it is made of ("a.nowak" is
"a nowak": Anna Nowak's initial and surname).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from campaigns.thulium import vocabulary as thulium

# Below this score (0–100) nothing is suggested: a wrong suggestion costs more than none.
CUTOFF = 72
_NOT_LETTERS = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Suggestion:
    value: str  # the status id or the agent login
    text: str  # how it reads: the status name, the login with the agent's name
    score: int
    # An agent who cannot take calls: named, never chosen for the supervisor.
    inactive: bool = False


def fold(text: str) -> str:
    """Lower case, without diacritics (ł too), punctuation as spaces."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_LETTERS.sub(" ", bare.casefold()).split())


def status_for(text: str, statuses: Sequence[thulium.Status]) -> Suggestion | None:
    """The status whose name is closest in spelling ("NOWY!!" → Nowy, "Oddzwonic" → Oddzwonić)."""
    wanted = fold(text)
    if not wanted:
        return None
    scored = [(_closeness(wanted, fold(s.name)), s) for s in statuses]
    score, status = max(scored, key=lambda pair: pair[0], default=(0.0, None))
    if status is None or score < CUTOFF:
        return None
    return Suggestion(value=status.status_id, text=status.name, score=round(score))


def _closeness(wanted: str, name: str) -> float:
    """How close a text is to a name: whole, or as the start of a longer name ("Oddzwonić" is
    "Oddzwonić nie wcześniej niż") — never a short name found inside a long text ("w" inside
    "w sprawie faktury" is no match)."""
    score = fuzz.ratio(wanted, name)
    if len(wanted) <= len(name):
        score = max(score, fuzz.partial_ratio(wanted, name) - 5)
    return max(score, fuzz.token_sort_ratio(wanted, name))


def agent_for(
    text: str, agents: Sequence[thulium.Agent], names: Mapping[str, str]
) -> Suggestion | None:
    """The agent a name or a misspelt login means: by the name Thulium gives ("Anna Nowak"),
    by a login made of the name (a.nowak, anowak, anna.nowak, nowak.a) or close in spelling."""
    wanted = fold(text)
    if not wanted:
        return None
    words = wanted.split()
    best: tuple[float, thulium.Agent] | None = None
    for agent in agents:
        login = fold(agent.login)
        name = fold(names.get(agent.login, ""))
        score = max(
            _closeness(wanted, login),
            fuzz.token_sort_ratio(wanted, name) if name else 0,
            _made_of(words, login),
        )
        if agent.active:
            score += 0.5  # of two as close, the one who can take calls
        if best is None or score > best[0]:
            best = (score, agent)
    if best is None or best[0] < CUTOFF:
        return None
    score, agent = best
    name = names.get(agent.login, "")
    return Suggestion(
        value=agent.login,
        text=f"{agent.login} ({name})" if name else agent.login,
        score=min(100, round(score)),
        inactive=not agent.active,
    )


def _made_of(words: list[str], login: str) -> int:
    """100 when the login is the name's initial(s) and surname in some usual order."""
    if len(words) < 2:
        return 0
    first, last = words[0], words[-1]
    parts = login.split()
    joined = "".join(parts)
    forms = {
        first[0] + last,
        first + last,
        last + first[0],
        last + first,
    }
    if joined in forms:
        return 100
    # "a nowak 2", "nowak a": the surname and the initial, with something else about
    if last in parts and any(p == first or p == first[0] for p in parts if p != last):
        return 90
    return 0
