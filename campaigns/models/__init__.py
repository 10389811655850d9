"""What the dashboard keeps: campaigns' field lists and settings, grids and their rows.

One module per aggregate, each with one reason to change:

- `campaign`: a campaign as this dashboard knows it (phone format, fields, value rules, listing);
- `grid`: a grid, its rows and their latest verdicts (`Outcome`), upload blocks, edits and the
  last comparison with Thulium;
- `sending`: submissions, their requests (chunks), the verdicts on rows and the fields last sent;
- `audit`: the keyed chain of audit entries, their personal details and the chain's head;
- `accounts`: what a user keeps for themselves (their language, their API tokens);
- `system`: the Thulium systems this install serves, and who is given what in each;
- `schedule`: the periodic jobs the scheduler runs;
- `imports`: recurring imports and their runs;
- `privacy`: the do-not-contact list (keyed hashes, never numbers);
- `snapshot`: what the campaign pages show from Thulium, as last read.

Every name is re-exported here: import from `campaigns.models`, not from its modules.
"""

from campaigns.models.accounts import ApiToken, UserPreference
from campaigns.models.audit import AuditDetail, AuditEntry, AuditHead
from campaigns.models.campaign import (
    Campaign,
    CampaignField,
    CampaignListing,
    PhoneFormat,
    ValueRule,
)
from campaigns.models.grid import (
    COMMON_OUTCOMES,
    FAILED_OUTCOMES,
    LOST_ANSWER_OUTCOMES,
    MODE_OUTCOMES,
    NOT_CONFIRMED_OUTCOMES,
    REFUSED_OUTCOMES,
    RESENDABLE_OUTCOMES,
    SUCCESS_OUTCOMES,
    Duplicates,
    Edit,
    Grid,
    MatchBy,
    Outcome,
    Row,
    RowQuerySet,
    ThuliumNow,
    UploadBlock,
)
from campaigns.models.imports import Import, ImportRun
from campaigns.models.privacy import DoNotContact
from campaigns.models.schedule import PeriodicJob
from campaigns.models.sending import Chunk, RowOutcome, SentFields, Submission
from campaigns.models.snapshot import ThuliumSnapshot
from campaigns.models.system import Grant, ThuliumSystem

__all__ = [
    "COMMON_OUTCOMES",
    "FAILED_OUTCOMES",
    "LOST_ANSWER_OUTCOMES",
    "MODE_OUTCOMES",
    "NOT_CONFIRMED_OUTCOMES",
    "REFUSED_OUTCOMES",
    "RESENDABLE_OUTCOMES",
    "SUCCESS_OUTCOMES",
    "ApiToken",
    "AuditDetail",
    "AuditEntry",
    "AuditHead",
    "Campaign",
    "CampaignField",
    "CampaignListing",
    "Chunk",
    "DoNotContact",
    "Duplicates",
    "Edit",
    "Grant",
    "Grid",
    "Import",
    "ImportRun",
    "MatchBy",
    "Outcome",
    "PeriodicJob",
    "PhoneFormat",
    "Row",
    "RowOutcome",
    "RowQuerySet",
    "SentFields",
    "Submission",
    "ThuliumNow",
    "ThuliumSnapshot",
    "ThuliumSystem",
    "UploadBlock",
    "UserPreference",
    "ValueRule",
]
