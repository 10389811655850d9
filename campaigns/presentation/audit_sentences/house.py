"""The history's sentences for keeping the house: personal data purged, found and erased,
changes made in /admin/, users, roles, API tokens, Thulium systems and the audit chain's own
entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import Grant
from campaigns.presentation.audit_sentences.said import (
    A,
    Change,
    Details,
    Renderer,
    Said,
    count_of,
    joined_said,
    key_label,
    listed_said,
    names_text,
    number_text,
    quoted,
    said_lines,
    value_text,
)
from campaigns.presentation.labels import PLACES


def _purged(d: Details) -> Said:
    d.get("details_digest")  # the chain's: verify_audit tells this erasure from tampering
    grids = ", ".join(f"#{g}" for g in d.get("grids", [])) or "—"
    return said_lines(
        _("Grids: %(grids)s") % {"grids": grids},
        _(
            "Removed — rows: %(rows)s; Thulium's answers: %(outcomes)s; edits: %(edits)s; record "
            "fields last sent: %(sent_fields)s; personal details of history entries: %(details)s"
        )
        % {
            "rows": number_text(count_of(d["rows"])),
            "outcomes": number_text(count_of(d["outcomes"])),
            "edits": number_text(count_of(d["edits"])),
            "sent_fields": number_text(count_of(d["sent_fields"])),
            "details": number_text(count_of(d["details_erased"])),
        },
    )


def _person_found(d: Details) -> Said:
    phone = d["phone"]
    return said_lines(
        _("Phone number: %(phone)s") % {"phone": phone} if phone else "",
        _("Places found: %(n)s") % {"n": number_text(count_of(d["items"]))},
    )


def _person_erased(d: Details) -> Said:
    from_kinds = _kinds_text(d.get("items", {}))
    d.get("details_erased")  # counted among the items, as "personal details of an entry"
    d.get("details_digest")  # the chain's: verify_audit tells this erasure from tampering
    return said_lines(
        _("Reason: %(reason)s") % {"reason": quoted(d["reason"])},
        _("Removed: %(items)s") % {"items": from_kinds},
    )


def _kinds_text(items: Mapping[str, Any]) -> str:
    return (
        "; ".join(f"{PLACES.get(k, k)}: {number_text(count_of(n))}" for k, n in items.items())
        or "—"
    )


def _admin_added(d: Details) -> Said:
    model = d["model"] or ""
    return joined_said(
        said_lines(_admin_object(d), *_field_values(model, d.get("values", {}))), _inlines(d)
    )


def _admin_changed(d: Details) -> Said:
    model = d["model"] or ""
    changes = list(d.get("changes", {}).items())
    listed = listed_said(
        d,
        changes,
        lambda item: Change(
            _field_name(model, item[0]),
            _field_value(model, item[0], _pair(item[1])[0]),
            _field_value(model, item[0], _pair(item[1])[1]),
        ),
    )
    return joined_said(said_lines(_admin_object(d)), listed, _inlines(d))


def _admin_deleted(d: Details) -> Said:
    model = d["model"] or ""
    also = d.get("also_deleted", {})
    return said_lines(
        _admin_object(d),
        *_field_values(model, d.get("values", {})),
        _("Also deleted: %(what)s")
        % {
            "what": "; ".join(
                f"{_model_name(m)}: {number_text(count_of(n))}" for m, n in also.items()
            )
        }
        if also
        else "",
    )


def _password_changed(d: Details) -> Said:
    return said_lines(_admin_object(d))


def _role_name(role: Any) -> str:
    """A role as the reader calls it (Obserwator), whatever the entry stored."""
    return str(Grant.Role(role).label) if role in Grant.Role.values else str(role)


def _access_given(grant: Any) -> str:
    if not isinstance(grant, Mapping):
        return value_text(grant)
    campaigns = [str(c) for c in grant.get("campaigns") or []]
    values = {"role": quoted(_role_name(grant.get("role", ""))), "system": grant.get("system", "")}
    if campaigns:
        return _("Access: %(role)s in campaigns %(campaigns)s of %(system)s") % (
            values | {"campaigns": ", ".join(campaigns)}
        )
    return _("Access: %(role)s in every campaign of %(system)s") % values


def _user_added(d: Details) -> Said:
    user = quoted(d["user"])
    named = (
        _("User %(user)s, role %(role)s") % {"user": user, "role": quoted(_role_name(d["role"]))}
        if d["role"]
        else _("User %(user)s") % {"user": user}
    )
    grants = d.get("grants") or []
    return said_lines(
        named,
        *(_access_given(g) for g in (grants if isinstance(grants, list) else [grants])),
        _("Staff status: %(staff)s; superuser status: %(superuser)s")
        % {
            "staff": value_text(bool(d["is_staff"])),
            "superuser": value_text(bool(d["is_superuser"])),
        },
    )


def _role_rights(d: Details) -> Said:
    before, after = _pair(d.get("changes", {}).get("permissions"))
    before, after = set(before or []), set(after or [])
    given, taken = sorted(after - before), sorted(before - after)
    return said_lines(
        _("Role: %(role)s") % {"role": quoted(d["role"])},
        _("Rights given: %(rights)s") % {"rights": ", ".join(given)} if given else "",
        _("Rights taken away: %(rights)s") % {"rights": ", ".join(taken)} if taken else "",
    )


def _system_added(d: Details) -> Said:
    return said_lines(
        _("Thulium system %(name)s") % {"name": quoted(d["name"])},
        _("API address: %(url)s") % {"url": value_text(d["base_url"])},
        _("API user: %(user)s") % {"user": value_text(d["api_user"])},
    )


def _system_changed(d: Details) -> Said:
    names = {
        "base_url": _("API address"),
        "api_user": _("API user"),
        "retention_days": _("Keep personal data (days)"),
        "from_environment": _("Connection from the environment"),
    }
    changes = list(d.get("changes", {}).items())

    def change(item: tuple[str, Any]) -> Change:
        name, pair = item
        if name == "password":
            # The entry holds only that it changed: nothing of the password is ever said.
            return Change(_("API password"), _("kept before"), _("set anew"))
        before, after = _pair(pair)
        return Change(names.get(name, key_label(name)), value_text(before), value_text(after))

    listed = listed_said(d, changes, change)
    if not d.get("name"):
        return listed
    named = _("Thulium system %(name)s") % {"name": quoted(d["name"])}
    return replace(listed, sentences=(named, *listed.sentences))


def _system_removed(d: Details) -> Said:
    return said_lines(
        _("Thulium system %(name)s") % {"name": quoted(d["name"])},
        _("Grids removed with it: %(n)s") % {"n": number_text(count_of(d["grids"]))},
    )


def _api_token(d: Details) -> Said:
    d.get("token_id")  # for the chain: the name says which key to a reader
    return said_lines(
        _("API token %(name)s (starts %(prefix)s)")
        % {"name": quoted(d["name"]), "prefix": d["prefix"]}
    )


def _connections_resealed(d: Details) -> Said:
    return said_lines(
        _("Passwords sealed again under the first key of CONNECTIONS_KEY: %(systems)s")
        % {"systems": names_text(d.get("systems", []))}
    )


def _do_not_contact_added(d: Details) -> Said:
    return said_lines(
        _("From a file") if d.get("from_file") else "",
        _("Numbers added: %(n)s") % {"n": number_text(d["count"])},
        _("Already on the list: %(n)s") % {"n": number_text(d["already"])}
        if d.get("already")
        else "",
        _("Not a phone number: %(n)s") % {"n": number_text(d["not_numbers"])}
        if d.get("not_numbers")
        else "",
        _("Reason: %(reason)s") % {"reason": quoted(d["reason"])},
    )


def _do_not_contact_removed(d: Details) -> Said:
    return said_lines(
        _("Numbers removed: %(n)s") % {"n": number_text(d["count"])},
        _("Reason: %(reason)s") % {"reason": quoted(d["reason"])},
    )


def _do_not_contact_checked(d: Details) -> Said:
    return said_lines(
        _("The number was on the list") if d["found"] else _("The number was not on the list")
    )


def _admin_object(d: Details) -> str:
    return _("%(model)s %(object)s (ID %(id)s)") % {
        "model": capfirst(_model_name(d["model"] or "")),
        "object": quoted(d["object"]),
        "id": d["object_id"] or "?",
    }


def _inlines(d: Details) -> Said:
    """What the admin page's inline rows added, changed or deleted along with the object."""
    sentences: list[str] = []
    changes: list[Change] = []
    for inline in d.get("inlines", []):
        model = str(inline.get("model", ""))
        what = f"{_model_name(model)} {quoted(inline.get('object', ''))}"
        if "added" in inline:
            sentences.append(_("Added %(what)s") % {"what": what})
        elif "deleted" in inline:
            sentences.append(_("Deleted %(what)s") % {"what": what})
        for name, pair in (inline.get("changes") or {}).items():
            before, after = _pair(pair)
            changes.append(
                Change(
                    f"{what} · {_field_name(model, name)}",
                    _field_value(model, name, before),
                    _field_value(model, name, after),
                )
            )
    return Said(sentences=tuple(sentences), changes=tuple(changes[: d.limit]))


def _field_values(model_label: str, values: Mapping[str, Any]) -> list[str]:
    """An object's fields as the admin's snapshot keeps them, in the model's field order."""
    try:
        fields = apps.get_model(model_label)._meta.get_fields()
    except (LookupError, ValueError):
        fields = ()
    order = {f.name: n for n, f in enumerate(fields)}
    return [
        f"{_field_name(model_label, name)}: {_field_value(model_label, name, values[name])}"
        for name in sorted(values, key=lambda name: order.get(name, len(order)))
    ]


def _pair(value: Any) -> tuple[Any, Any]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None, value


def _model_name(model_label: str) -> str:
    try:
        return str(apps.get_model(model_label)._meta.verbose_name)
    except (LookupError, ValueError):
        return model_label


def _field_name(model_label: str, name: str) -> str:
    try:
        found = apps.get_model(model_label)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return key_label(name)
    return capfirst(str(getattr(found, "verbose_name", name)))


def _field_value(model_label: str, name: str, value: Any) -> str:
    """A field's value as the admin's snapshot keeps it (value_to_string): booleans said."""
    try:
        kind = apps.get_model(model_label)._meta.get_field(name).get_internal_type()
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        kind = ""
    if kind == "BooleanField" and value in ("True", "False"):
        return value_text(value == "True")
    return value_text(value)


HOUSE_RENDERERS: dict[str, Renderer] = {
    A.PERSONAL_DATA_PURGED: _purged,
    A.PERSON_FOUND: _person_found,
    A.PERSON_EXPORTED: _person_found,
    A.PERSON_ERASED: _person_erased,
    A.ADMIN_ADDED: _admin_added,
    A.ADMIN_CHANGED: _admin_changed,
    A.ADMIN_DELETED: _admin_deleted,
    A.PASSWORD_CHANGED: _password_changed,
    A.USER_ADDED: _user_added,
    A.ROLE_RIGHTS_CHANGED: _role_rights,
    A.SYSTEM_ADDED: _system_added,
    A.SYSTEM_CHANGED: _system_changed,
    A.SYSTEM_REMOVED: _system_removed,
    A.CONNECTIONS_RESEALED: _connections_resealed,
    A.DO_NOT_CONTACT_ADDED: _do_not_contact_added,
    A.DO_NOT_CONTACT_REMOVED: _do_not_contact_removed,
    A.DO_NOT_CONTACT_CHECKED: _do_not_contact_checked,
    A.API_TOKEN_CREATED: _api_token,
    A.API_TOKEN_REVOKED: _api_token,
}
