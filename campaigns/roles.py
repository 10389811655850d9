"""The three roles as Django groups, and what each may do.

Created by a migration, and made sure of again after every migrate or flush (post_migrate), so a
fresh database, a test database and a production one all have them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

VIEWER = "Viewer"
SUPERVISOR = "Supervisor"
ADMINISTRATOR = "Administrator"
# The roles in the user's language (the group names stay as they are).
LABELS = {
    VIEWER: _("Viewer: reads campaigns, grids and history"),
    SUPERVISOR: _("Supervisor: uploads, edits and sends"),
    ADMINISTRATOR: _("Administrator: also manages users and campaign fields"),
}

_VIEW = [
    "campaigns.view_campaign",
    "campaigns.view_grid",
    "campaigns.view_submission",
    "campaigns.view_auditentry",
]
_SUPERVISE = [
    "campaigns.add_grid",
    "campaigns.change_grid",
    "campaigns.add_submission",
    "campaigns.change_submission",
    "campaigns.export_grid",
]
_ADMINISTER = [
    "campaigns.change_campaign",
    "campaigns.add_campaignfield",
    "campaigns.change_campaignfield",
    "campaigns.delete_campaignfield",
    "campaigns.view_campaignfield",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
    "campaigns.handle_person_request",
    # The Thulium systems: the admin lets only the install's administrators (this group, not a
    # system's administrator by a grant) use these.
    "campaigns.view_thuliumsystem",
    "campaigns.add_thuliumsystem",
    "campaigns.change_thuliumsystem",
    "campaigns.delete_thuliumsystem",
]
ROLES = {
    VIEWER: _VIEW,
    SUPERVISOR: _VIEW + _SUPERVISE,
    ADMINISTRATOR: _VIEW + _SUPERVISE + _ADMINISTER,
}


def roles_ensure(apps: Any = None) -> dict[str, tuple[list[str], list[str]]]:
    """Create the groups and give them exactly their permissions (idempotent). Returns, for each
    group that existed with other permissions (someone changed them, or a release changed what
    the role grants), its permissions before and after, for the audit log."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    changed = {}
    for name, codes in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        before = sorted(
            f"{app}.{code}"
            for app, code in group.permissions.values_list("content_type__app_label", "codename")
        )
        after = sorted(f"{p.content_type.app_label}.{p.codename}" for p in wanted)
        if before != after:
            group.permissions.set(wanted)
            if not created:
                changed[name] = (before, after)
    return changed
