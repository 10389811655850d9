"""Grants are enforced on the server, on every path: for each kind of grant, every address and
command asked about a system or campaign the person was not given answers 404 or refuses, in
the words used for what does not exist, so ids do not leak.

The person's grant is in a second system ("other", whose Thulium cannot be reached: a request
that asked it would fail, not 404). What they must not reach is the sandbox's system, with a
sent grid, its sending and Thulium's answers, and, for a grant on one campaign, another
campaign of their own system.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from campaigns import thulium, urls
from campaigns.models import Campaign, Grant, Grid, Import, Submission, ThuliumSystem
from campaigns.services.api_tokens import api_token_create
from campaigns.services.campaigns import campaign_for
from campaigns.services.grids import grid_create_from_file
from campaigns.services.imports import import_add
from campaigns.services.person import person_erase, person_find
from campaigns.services.systems import thulium_system_add
from tests.helpers import FILES, send

pytestmark = pytest.mark.django_db

# Nothing listens on the discard port: a page that asked this system would fail, not 404.
UNREACHABLE = "http://127.0.0.1:9/api/"
PHONE = "845400588"  # a phone of the CRM file


@dataclass(frozen=True)
class Unseen:
    """A place the person was not given, and its objects."""

    system: str
    campaign: str
    grid: int
    row: int
    submission: int
    whole_system: bool = True  # the person sees nothing of its system
    imp: int = 0  # a recurring import of the place
    token: int = 0  # an API token of someone else (one's own tokens are the only ones there)


def endpoints(u: Unseen) -> list[tuple[str, str, list[Any]]]:
    """(method, url name, args) of every address that names a place; those that name none are
    in HIDING below."""
    g, r, s = u.grid, u.row, u.submission
    place = [u.system, u.campaign]
    return [
        ("get", "campaigns:detail", place),
        ("get", "campaigns:campaign_template", place),
        ("get", "campaigns:campaign_charts", place),
        ("get", "campaigns:campaign_figures", place),
        ("post", "campaigns:campaign_figures", place),
        ("post", "campaigns:grid_upload", place),
        ("post", "campaigns:grid_pull", place),
        ("post", "campaigns:grid_empty", place),
        ("get", "campaigns:grid_detail", [g]),
        ("get", "campaigns:row", [g, r]),
        ("get", "campaigns:row_payload", [g, r]),
        ("get", "campaigns:cell_full", [g, r]),
        ("get", "campaigns:grid_progress", [g]),
        ("get", "campaigns:grid_listing", [g]),
        ("get", "campaigns:grid_mapping", [g]),
        ("post", "campaigns:grid_mapping", [g]),
        ("post", "campaigns:grid_compare", [g]),
        ("get", "campaigns:cell_edit", [g, r]),
        ("post", "campaigns:cell_save", [g, r]),
        ("get", "campaigns:row_edit", [g, r]),
        ("post", "campaigns:row_edit", [g, r]),
        ("post", "campaigns:grid_rows_add", [g]),
        ("post", "campaigns:grid_rows_delete", [g]),
        ("post", "campaigns:grid_bulk", [g]),
        ("post", "campaigns:grid_paste", [g]),
        ("post", "campaigns:grid_replace", [g]),
        ("post", "campaigns:grid_undo", [g]),
        ("post", "campaigns:grid_redo", [g]),
        ("post", "campaigns:grid_column_remap", [g]),
        ("post", "campaigns:grid_group_fix", [g]),
        ("post", "campaigns:grid_value_rule_forget", [g, 1]),
        ("get", "campaigns:grid_review", [g]),
        ("post", "campaigns:grid_review", [g]),
        ("get", "campaigns:grid_read_progress", [g]),
        ("post", "campaigns:grid_options", [g]),
        ("post", "campaigns:grid_send", [g]),
        ("get", "campaigns:grid_export", [g]),
        ("post", "campaigns:submission_cancel", [g, s]),
        ("post", "campaigns:submission_revert", [g, s]),
        ("post", "campaigns:grid_revert", [g]),
        ("get", "campaigns:import_detail", [u.imp]),
        ("post", "campaigns:api_token_revoke", [u.token]),
        # The person page names its system in the post: a request reaches a whole system, so
        # only a system not seen at all is "not there" (in their own, it is 403 at most).
        *([("post", "campaigns:person_request", [])] if u.whole_system else []),
    ]


# Addresses that name no place: they answer, showing nothing of places not given (checked one
# by one in test_pages_without_a_place_show_nothing_of_places_not_given).
HIDING = {
    "campaigns:list",
    "campaigns:history",
    "campaigns:phone_history",
    "campaigns:imports",
    "campaigns:api_tokens",  # the person's own tokens, and no place
}

GRANTS = {
    "system viewer": ("", Grant.Role.VIEWER),
    "system supervisor": ("", Grant.Role.SUPERVISOR),
    "system administrator": ("", Grant.Role.ADMINISTRATOR),
    "campaign supervisor": ("00001", Grant.Role.SUPERVISOR),
}


@pytest.fixture
def other(db: Any) -> ThuliumSystem:
    return thulium_system_add(
        name="other", base_url=UNREACHABLE, api_user="u", password="p", actor=None
    )


def file_grid(system: ThuliumSystem, campaign: str) -> Grid:
    name = "crm_export_cp1250.csv"
    return grid_create_from_file(
        campaign=campaign_for(system=system, thulium_id=campaign),
        author=None,
        data=(FILES / name).read_bytes(),
        filename=name,
    )


@pytest.fixture
def sent(crm_grid: Grid, rules: Any, api: thulium.ThuliumClient) -> Submission:
    """The sandbox system's grid, sent: a sending and Thulium's answers to hide."""
    submission: Submission = send(crm_grid, rules, api)
    return submission


def granted(django_user_model: Any, other: ThuliumSystem, kind: str) -> User:
    campaign, role = GRANTS[kind]
    user: User = django_user_model.objects.create_user(
        "granted", password="x" * 12, is_staff=role == Grant.Role.ADMINISTRATOR
    )
    Grant.objects.create(user=user, system=other, campaign=campaign, role=role)
    return user


def unseen_places(kind: str, sent: Submission, other: ThuliumSystem) -> list[Unseen]:
    grid = sent.grid
    row = grid.rows.order_by("number").first()
    assert row is not None
    someone = User.objects.get_or_create(username="someone-else")[0]
    token = api_token_create(user=someone, name="theirs").token.pk
    places = [
        Unseen(
            grid.campaign.system.name,
            "00001",
            grid.pk,
            row.pk,
            sent.pk,
            imp=an_import(grid.campaign, "sandbox-crm").pk,
            token=token,
        )
    ]
    if kind == "campaign supervisor":
        # Another campaign of the person's own system.
        beside = file_grid(other, "00002")
        places.append(
            Unseen(
                "other",
                "00002",
                beside.pk,
                row.pk,
                sent.pk,
                whole_system=False,
                imp=an_import(beside.campaign, "beside-crm").pk,
                token=token,
            )
        )
    return places


def an_import(campaign: Campaign, name: str) -> Import:
    return import_add(
        name=name,
        campaign=campaign,
        source=Import.Source.FOLDER,
        location="/srv/exports",
        pattern="*.csv",
        policy=Import.Policy.REVIEW,
        owner=None,
        every_minutes=60,
    )


def test_the_matrix_covers_every_endpoint() -> None:
    unseen = Unseen("s", "00001", 1, 1, 1, imp=1)
    named = {f"campaigns:{p.name}" for p in urls.urlpatterns}
    covered = {name for _m, name, _a in endpoints(unseen)} | HIDING

    assert named == covered, named ^ covered


@pytest.mark.parametrize("kind", list(GRANTS))
def test_every_address_answers_404_outside_the_grants(
    client: Client, django_user_model: Any, other: ThuliumSystem, sent: Submission, kind: str
) -> None:
    user = granted(django_user_model, other, kind)
    file_grid(other, "00001")  # something of their own, so they are not empty-handed
    client.force_login(user)

    for unseen in unseen_places(kind, sent, other):
        for method, name, args in endpoints(unseen):
            data = {"system": unseen.system, "phone": PHONE, "action": "find"}
            response = getattr(client, method)(
                reverse(name, args=args), data if name.endswith("person_request") else {}
            )
            assert response.status_code == 404, (kind, name, args, response.status_code)


@pytest.mark.parametrize("kind", list(GRANTS))
def test_pages_without_a_place_show_nothing_of_places_not_given(
    client: Client, django_user_model: Any, other: ThuliumSystem, sent: Submission, kind: str
) -> None:
    user = granted(django_user_model, other, kind)
    client.force_login(user)
    sandbox = sent.grid.campaign.system.name
    unseen_grid = reverse("campaigns:grid_detail", args=[sent.grid_id])

    listing = client.get(reverse("campaigns:list")).content.decode()
    history = client.get(reverse("campaigns:history")).content.decode()
    filtered = client.get(reverse("campaigns:history"), {"system": sandbox})
    export = client.get(reverse("campaigns:history"), {"system": sandbox, "export": "csv"})
    made_up = client.get(reverse("campaigns:history"), {"system": "no-such-system"})
    timeline = client.get(reverse("campaigns:phone_history", args=[PHONE])).content.decode()
    hidden = an_import(sent.grid.campaign, "sandbox-crm")
    imports = client.get(reverse("campaigns:imports")).content.decode()

    assert reverse("campaigns:import_detail", args=[hidden.pk]) not in imports
    assert reverse("campaigns:detail", args=[sandbox, "00001"]) not in listing
    assert unseen_grid not in history
    # A system not given is filtered on as one that does not exist.
    assert filtered.status_code == export.status_code == made_up.status_code == 404
    assert unseen_grid not in filtered.content.decode()
    assert unseen_grid not in timeline
    assert "Nothing was sent for this number yet." in timeline


def test_a_superuser_sees_what_the_matrix_hides(
    client: Client, django_user_model: Any, other: ThuliumSystem, sent: Submission
) -> None:
    """The checks above look for what is really there."""
    client.force_login(django_user_model.objects.create_superuser("root", password="x" * 12))
    unseen_grid = reverse("campaigns:grid_detail", args=[sent.grid_id])

    assert unseen_grid in client.get(reverse("campaigns:history")).content.decode()
    assert (
        unseen_grid in client.get(reverse("campaigns:phone_history", args=[PHONE])).content.decode()
    )


def test_a_sending_is_reached_only_through_its_own_grid(
    client: Client, django_user_model: Any, other: ThuliumSystem, sent: Submission
) -> None:
    user = granted(django_user_model, other, "system supervisor")
    own = file_grid(other, "00001")
    client.force_login(user)

    for name in ("campaigns:submission_cancel", "campaigns:submission_revert"):
        response = client.post(reverse(name, args=[own.pk, sent.pk]))
        assert response.status_code == 404, name


def refused(command: str, *args: str) -> str:
    """The command's refusal: a CommandError, or exit code 2 with the words on stderr."""
    err = io.StringIO()
    with pytest.raises((CommandError, SystemExit)) as raised:
        call_command(command, *args, stdout=io.StringIO(), stderr=err)
    if isinstance(raised.value, SystemExit):
        assert raised.value.code == 2, err.getvalue()
        return err.getvalue()
    return str(raised.value)


@pytest.mark.parametrize("kind", list(GRANTS))
def test_commands_acting_as_a_user_refuse_what_is_outside_the_grants(
    django_user_model: Any, other: ThuliumSystem, sent: Submission, kind: str, tmp_path: Any
) -> None:
    granted(django_user_model, other, kind)
    sandbox = sent.grid.campaign.system.name
    as_user = ("--user", "granted")

    assert f"There is no Thulium system “{sandbox}” here." in refused(
        "push_records", "00001", str(FILES / "crm_export_cp1250.csv"), "--dry-run",
        "--system", sandbox, *as_user,
    )  # fmt: skip
    assert f"There is no sending #{sent.pk}." in refused(
        "revert_sending", str(sent.pk), "--dry-run", *as_user
    )
    assert f"There is no grid #{sent.grid_id}." in refused(
        "revert_sending", "--grid", str(sent.grid_id), "--dry-run", *as_user
    )
    assert f"There is no Thulium system “{sandbox}” here." in refused(
        "person_data", PHONE, "--find", "--system", sandbox, *as_user
    )
    if kind == "campaign supervisor":
        assert "may not send to campaign 00002" in refused(
            "push_records", "00002", str(FILES / "crm_export_cp1250.csv"), "--dry-run",
            "--system", "other", *as_user,
        )  # fmt: skip


def test_a_campaign_supervisor_sees_exactly_their_campaign_and_its_history(
    client: Client, django_user_model: Any, other: ThuliumSystem, crm_grid: Grid
) -> None:
    sandbox = crm_grid.campaign.system
    beside = file_grid(sandbox, "00002")  # another campaign of the same system
    elsewhere = file_grid(other, "00001")  # the same id in another system
    user = django_user_model.objects.create_user("ola", password="x" * 12)
    Grant.objects.create(user=user, system=sandbox, campaign="00001", role=Grant.Role.SUPERVISOR)
    client.force_login(user)

    listing = client.get(reverse("campaigns:list")).content.decode()
    history = client.get(reverse("campaigns:history")).content.decode()

    assert reverse("campaigns:detail", args=[sandbox.name, "00001"]) in listing
    assert reverse("campaigns:detail", args=[sandbox.name, "00002"]) not in listing
    # No section for a system they hold nothing in (its Thulium cannot be reached: it would say).
    assert "Thulium system other" not in listing
    assert reverse("campaigns:grid_detail", args=[crm_grid.pk]) in history
    assert reverse("campaigns:grid_detail", args=[beside.pk]) not in history
    assert reverse("campaigns:grid_detail", args=[elsewhere.pk]) not in history


def test_buttons_follow_the_role_in_that_campaign_not_elsewhere(
    client: Client, django_user_model: Any, crm_grid: Grid
) -> None:
    """A Viewer here and a Supervisor in another campaign sees a Viewer's page here."""
    sandbox = crm_grid.campaign.system
    user = django_user_model.objects.create_user("mixed", password="x" * 12)
    Grant.objects.create(user=user, system=sandbox, role=Grant.Role.VIEWER)
    Grant.objects.create(user=user, system=sandbox, campaign="00002", role=Grant.Role.SUPERVISOR)
    client.force_login(user)

    grid_page = client.get(reverse("campaigns:grid_detail", args=[crm_grid.pk])).content.decode()
    here = client.get(reverse("campaigns:detail", args=[sandbox.name, "00001"])).content.decode()
    there = client.get(reverse("campaigns:detail", args=[sandbox.name, "00002"])).content.decode()

    assert "Tick row" in grid_page  # (the rows are there)
    assert "Change many rows" not in grid_page
    assert "data-editable" not in grid_page.split('<table class="table grid"')[1].split(">")[0]
    assert "Upload a file" not in here
    assert "Upload a file" in there


def test_a_persons_request_reaches_one_system_only(other: ThuliumSystem, crm_grid: Grid) -> None:
    sandbox = crm_grid.campaign.system
    file_grid(other, "00001")  # the same number, held by another controller

    erased = person_erase(phone=PHONE, system=sandbox, reason="the person's request", actor=None)

    assert erased.erased
    assert not erased.left
    assert person_find(phone=PHONE, system=sandbox, actor=None, audited=False).findings == []
    assert person_find(phone=PHONE, system=other, actor=None, audited=False).of("upload")
