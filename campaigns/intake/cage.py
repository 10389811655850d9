"""Running a reader of untrusted bytes in a child process that cannot take the dashboard down.

A spreadsheet reader can be made to ask for gigabytes by a file of a few hundred bytes, and
calamine (Rust) aborts the whole process when an allocation fails: there is no exception to
catch. So an upload is read in a forked child under an address-space limit (what the reading
may add to the process as it was) and a time limit. Whatever the child does — returns, raises,
runs out of memory, aborts, hangs — the parent gets a result, the child's own exception, or
`CageBroken` saying which limit it met. The parent's transactions, threads and connections are
never touched by the child: it only computes, writes its pickled answer to a temporary file and
leaves with `os._exit`.

Linux only (fork, prlimit, pidfd), as the production layout is.
"""

from __future__ import annotations

import faulthandler
import logging
import math
import os
import pickle
import resource
import select
import signal
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# The child runs one pure function and leaves with os._exit: the threads the parent has (the
# live server's, a connection pool's) are not used in it, and the parent kills it on time.
warnings.filterwarnings(
    "ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning
)


@dataclass(frozen=True)
class CageLimits:
    memory_bytes: int  # what the child may add to the address space it starts with
    seconds: float


class CageBroken(Exception):
    """The child met a limit or died: `reason` is "memory", "time" or "crash"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_caged(function: Callable[..., Any], *args: Any, cage: CageLimits, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)` in a forked child under the `cage` limits: its result, or
    the exception it raised, or CageBroken."""
    with tempfile.TemporaryFile() as answer:
        pid = os.fork()
        if pid == 0:  # the child
            _child(answer, function, args, kwargs, cage)
        reason = _wait(pid, cage.seconds)
        if reason is not None:
            raise CageBroken(reason)
        answer.seek(0)
        try:
            kind, value = pickle.load(answer)
        except (EOFError, pickle.UnpicklingError):
            raise CageBroken("crash") from None
    if kind == "ok":
        return value
    if kind == "raised":
        raise value
    raise CageBroken(kind)


def _child(
    answer: Any,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    limits: CageLimits,
) -> None:
    code = 0
    try:
        # An abort here is an answer (see _wait), not a crash of ours to dump tracebacks for.
        faulthandler.disable()
        _limit_self(limits)
        try:
            result: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except MemoryError:
            result = ("memory", None)
        except Exception as error:
            result = ("raised", error)
        try:
            pickle.dump(result, answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            answer.seek(0)
            answer.truncate()
            pickle.dump(("memory", None), answer)
        except Exception:
            logger.exception("an upload's reading gave an answer that cannot be passed on")
            answer.seek(0)
            answer.truncate()
            pickle.dump(("crash", None), answer)
        answer.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _limit_self(limits: CageLimits) -> None:
    """Address space: what the process holds now plus the budget (within any limit it already
    has, e.g. a worker started under prlimit). CPU time: the time limit, as a second guard
    beside the parent's clock."""
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = now + limits.memory_bytes
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    cpu = math.ceil(limits.seconds) + 1
    _soft, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_hard == resource.RLIM_INFINITY or cpu < cpu_hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_hard))


def _wait(pid: int, seconds: float) -> str | None:
    """Wait for the child at most `seconds`; None when it ended normally, else why not."""
    handle = os.pidfd_open(pid)
    try:
        ready, _w, _x = select.select([handle], [], [], seconds)
        if not ready:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(handle)
    _pid, status = os.waitpid(pid, 0)
    if not ready:
        return "time"
    if os.WIFSIGNALED(status):
        died = os.WTERMSIG(status)
        logger.warning("an upload's reader died of signal %s", signal.Signals(died).name)
        # Rust aborts (SIGABRT) and the kernel kills (SIGKILL) when memory runs out.
        if died == signal.SIGXCPU:
            return "time"
        return "memory" if died in {signal.SIGABRT, signal.SIGKILL, signal.SIGSEGV} else "crash"
    if os.WEXITSTATUS(status) != 0:
        return "crash"
    return None
