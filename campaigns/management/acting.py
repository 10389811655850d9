"""Who a command acts as, and in which Thulium system: `--system NAME` (needed when the install
has more than one) and `--user NAME` (the command then holds that user's grants, and no more).

A command run without `--user` acts as the server's operator: it may reach every system, as a
shell on the server already can. With `--user`, anything outside that user's grants is refused
as if it were not there, as the pages answer 404.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from campaigns.access import access_of
from campaigns.models import Campaign, ThuliumSystem


def add_acting_arguments(parser: CommandParser, *, user_help: str | None = None) -> None:
    parser.add_argument(
        "--system",
        metavar="NAME",
        help="the Thulium system (needed when this install has more than one; see "
        "`manage.py thulium_system list`)",
    )
    parser.add_argument(
        "--user",
        metavar="USER",
        help=user_help or "act as this dashboard user, with that user's grants",
    )


def acting_user(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("There is no dashboard user “%(user)s”.") % {"user": username})
    return user


def acting_system(name: str | None, *, user: User | None = None) -> ThuliumSystem:
    """The system named, or the install's only one; for `user`, only one they see."""
    systems = ThuliumSystem.objects.all()
    if user is not None:
        systems = systems.filter(access_of(user).systems_q())
    if name:
        found = systems.filter(name=name).first()
        if found is None:
            names = ", ".join(systems.values_list("name", flat=True)) or "—"
            raise CommandError(
                _("There is no Thulium system “%(name)s” here. Systems: %(names)s.")
                % {"name": name, "names": names}
            )
        return found
    found_all = list(systems[:2])
    if len(found_all) == 1:
        return found_all[0]
    if not found_all and user is not None:
        raise CommandError(
            _("%(user)s has access to no Thulium system: an administrator gives access first.")
            % {"user": user.get_username()}
        )
    if not found_all:
        raise CommandError(
            _(
                "No Thulium system is set up. Add one with `manage.py thulium_system add`, or "
                "set THULIUM_BASE_URL and run `manage.py migrate`."
            )
        )
    raise CommandError(
        _("This install serves several Thulium systems: name one with --system (%(names)s).")
        % {"names": ", ".join(systems.values_list("name", flat=True))}
    )


def may(user: User | None, permission: str, campaign: Campaign) -> bool:
    """Whether the acting user may do this in the campaign (the operator may do anything)."""
    return user is None or user.has_perm(permission, campaign)
