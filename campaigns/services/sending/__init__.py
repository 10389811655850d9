"""Running a sending: chunk by chunk, resumable, several workers at once.

The crash-safety rule: a chunk is claimed (with a lease), sent outside any transaction, and its
answer recorded in a transaction that only succeeds while the claim is still ours — by the
recorder, on a thread of its own, while the run sends the next chunk (`recorder`). While a
request is out, a heartbeat renews its lease however slowly Thulium answers, so only a dead
worker's claim runs out. Then the chunk is claimable again and is sent again — safe, because
PUT of the same values is idempotent, and an addition's rows are first looked up in Thulium —
and its rows get exactly one recorded outcome.

Waits: when Thulium asks for a wait longer than the client sleeps, the request is given back and
the sending waits (WAITING until `retry_at`) with no worker held: the task comes back then, other
campaigns' sendings run meanwhile, and Cancel ends a waiting sending at once. An outage (Thulium
unreachable after the client's retries) waits the same way, with growing pauses, up to the
sending's limit; only then are its rows not confirmed / not sent (`_outage`, `_give_up`).

The brake: a sending's first request (the canary) is answered before any other is sent, and a
request whose rows Thulium mostly refused for one and the same reason pauses the sending, so a
systemic mistake (a field Thulium does not know) costs one request's rows, not the file.

The parts: `claims` (the lease protocol), `requests` (a request's shape per mode), `outcomes`
(recording the answers), `recorder` (recording them while the next request is out) and `run`
(the loop, its waits and its ends).
"""

from campaigns.services.sending.outcomes import submission_audit, submission_unsend_rest
from campaigns.services.sending.run import (
    RunResult,
    submission_cannot_connect,
    submission_run,
    submission_run_to_end,
)

__all__ = [
    "RunResult",
    "submission_audit",
    "submission_cannot_connect",
    "submission_run",
    "submission_run_to_end",
    "submission_unsend_rest",
]
