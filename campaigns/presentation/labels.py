"""Labels for names the code keeps: Thulium's system statuses as the panel shows them, and the
places the dashboard keeps a person's data."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Thulium's system statuses: ours in the reader's language, the panel's Polish in brackets.
SYSTEM_STATUS_LABELS = {
    "TO_CALL": _("To call (Do dzwonienia)"),
    "IN_PROGRESS": _("In progress (Obrabiane)"),
    "CALL": _("Call (Dzwonić)"),
    "MY_RECORD": _("My record (Mój rekord)"),
    "NO_CALL": _("Do not call (Nie dzwonić)"),
    "ABANDONED_AFTER_N_TRIES": _("Abandoned after n tries (Odrzucony po n próbach)"),
    "CALL_NO_SOONER_THAN": _("Call no sooner than (Kontakt nie wcześniej niż)"),
    "CALL_PROGRESSIVE": _("Call in progressive mode (Dzwonić w trybie progressive)"),
}

# The places personal data is kept (services/person.py finds them), in the order they are
# listed; the words say what each is.
PLACES = {
    "row": _("grid row"),
    "upload": _("row of an upload waiting for its columns"),
    "outcome": _("Thulium's answer on a row"),
    "edit": _("grid edit (undo history)"),
    "chunk": _("record values read before a sending"),
    "sent_fields": _("record fields last sent"),
    "thulium_now": _("record values read for a review"),
    "listing": _("campaign's records kept from Thulium's listing (minutes)"),
    "grid": _("grid (file name or revert notes)"),
    "submission": _("sending (Thulium's message)"),
    "audit": _("personal details of an audit entry"),
    "audit_chain": _("audit entry (in the chain: cannot be erased)"),
}
