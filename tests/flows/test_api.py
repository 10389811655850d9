"""The HTTP API (/api/v1/) as an integration uses it: a real HTTP client (`requests`) against the
live server, with a token made on the tokens page, driving a grid from upload to revert against
the sandbox; what each role may do; nothing outside the token user's grants (404); revoked
tokens, the rate limit, the OpenAPI schema and its docs page, and errors in Polish."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from openapi_spec_validator import validate

from campaigns import thulium
from campaigns.api.endpoints import api as ninja_api
from campaigns.models import ApiToken, AuditEntry, Grant, Grid, Submission, ThuliumSystem
from campaigns.services.api_tokens import api_token_create
from campaigns.services.systems import thulium_system_add
from tests.helpers import FILES, queue_sending, run_to_the_end

pytestmark = pytest.mark.django_db(transaction=True)

CRM = "crm_export_cp1250.csv"  # 16 rows, 8 of them with errors
UNREACHABLE = "http://127.0.0.1:9/api/"


class Integration:
    """An integration holding a token: every call carries it, as `Authorization: Bearer`."""

    def __init__(self, base: str, token: str, language: str = "en") -> None:
        self.base = base + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["Accept-Language"] = language

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(self.base + path, params=params, timeout=60)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.http.post(self.base + path, json=json, timeout=60, **kwargs)

    def upload(self, system: str, campaign: str, name: str = CRM) -> requests.Response:
        return self.post(
            f"/campaigns/{system}/{campaign}/grids",
            files={"file": (name, (FILES / name).read_bytes(), "text/csv")},
        )


class Browser:
    """A person logged in to the pages, as far as the server can tell: session and CSRF."""

    def __init__(self, base: str, user: User) -> None:
        login = Client()
        login.force_login(user)
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set("sessionid", login.cookies["sessionid"].value)

    def tokens_page(self) -> requests.Response:
        return self.http.get(self.base + reverse("campaigns:api_tokens"), timeout=30)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        page = self.tokens_page()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf is not None
        # Production marks the CSRF cookie Secure; over the test's plain HTTP it goes as a
        # plain cookie.
        self.http.cookies.set("csrftoken", page.cookies["csrftoken"])
        return self.http.post(self.base + path, data | {"csrfmiddlewaretoken": csrf[1]}, timeout=30)

    def make_token(self, name: str) -> str:
        page = self.post(reverse("campaigns:api_tokens"), {"name": name})
        assert page.status_code == 200
        found = re.search(r'<code id="token-secret">([^<]+)</code>', page.text)
        assert found is not None
        return found[1]


def person(django_user_model: Any, name: str, role: str | None) -> User:
    user: User = django_user_model.objects.create_user(name, password="x" * 12)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def key_of(user: User) -> str:
    return api_token_create(user=user, name="tests").secret


# --- from upload to revert ----------------------------------------------------------------------


def test_a_token_made_on_the_page_drives_a_grid_from_upload_to_revert(
    live_server: Any, supervisor: User, campaign: Any, api: thulium.ThuliumClient
) -> None:
    browser = Browser(live_server.url, supervisor)
    token = browser.make_token("CRM nightly")
    crm = Integration(live_server.url, token)

    made = crm.upload("thulium", "00001")
    assert made.status_code == 201, made.text
    grid = made.json()
    assert grid["state"] == "ready"
    assert grid["mapping_problem"] == ""
    assert grid["rows"]["total"] == 16
    assert grid["rows"]["error"] == 8
    assert grid["problems"]
    assert all(p["text"] for p in grid["problems"])

    first = crm.get(f"/grids/{grid['id']}/rows", size=10).json()
    rest = crm.get(f"/grids/{grid['id']}/rows", size=10, after=first["next"]).json()
    numbers = [row["number"] for row in first["items"] + rest["items"]]
    assert len(numbers) == 16
    assert numbers == sorted(numbers)
    assert rest["next"] is None
    errors = crm.get(f"/grids/{grid['id']}/rows", show="errors", size=100).json()["items"]
    assert len(errors) == 8
    assert all(row["messages"] for row in errors)
    problems = crm.get(f"/grids/{grid['id']}/problems").json()
    assert [p["key"] for p in problems] == [p["key"] for p in grid["problems"]]

    review = crm.post(f"/grids/{grid['id']}/review", {})
    assert review.status_code == 200, review.text
    going = review.json()["rows"]
    assert 0 < going <= 8
    assert review.json()["fresh"]
    sending = crm.post(f"/grids/{grid['id']}/sendings", {"review": review.json()["token"]})
    assert sending.status_code == 201, sending.text
    submission = Submission.objects.get(pk=sending.json()["id"])
    assert submission.author == supervisor
    run_to_the_end(submission, api)

    progress = crm.get(f"/sendings/{submission.pk}").json()
    assert progress["state"] == "finished"
    assert progress["chunks_done"] == progress["chunks_total"] > 0
    assert sum(progress["outcomes"].values()) == going
    page = crm.get(f"/sendings/{submission.pk}/results", size=5).json()
    more = crm.get(f"/sendings/{submission.pk}/results", size=5, after=page["next"]).json()
    assert len(page["items"]) + len(more["items"]) == going
    assert more["next"] is None
    assert all(r["outcome"] and r["outcome_text"] for r in page["items"] + more["items"])

    results = crm.get(f"/grids/{grid['id']}/results", format="csv")
    assert results.status_code == 200
    assert results.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in results.headers["Content-Disposition"]
    assert len(results.content.decode("utf-8-sig").splitlines()) == 17

    revert = crm.post(f"/sendings/{submission.pk}/revert")
    assert revert.status_code == 201, revert.text
    assert revert.json()["id"] != grid["id"]
    assert revert.json()["rows"]["total"] == going
    whole = crm.post(f"/grids/{grid['id']}/revert")
    assert whole.status_code == 201, whole.text

    listed = browser.tokens_page().text
    assert "CRM nightly" in listed
    assert token[:12] in listed
    assert token not in listed
    stored = ApiToken.objects.get()
    assert stored.last_used_at is not None
    assert token not in str(ApiToken.objects.values().get())
    assert AuditEntry.objects.filter(action=AuditEntry.Action.API_TOKEN_CREATED).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPLOAD, actor=supervisor).exists()


# --- roles and grants ---------------------------------------------------------------------------


def routes(grid: Grid, submission: Submission) -> list[tuple[str, str, str]]:
    """(method, path, what the route needs) of every route of the API."""
    g, s = grid.pk, submission.pk
    return [
        ("post", "/campaigns/{system}/00001/grids", "supervise"),
        ("get", f"/grids/{g}", "view"),
        ("get", f"/grids/{g}/rows", "view"),
        ("get", f"/grids/{g}/problems", "view"),
        ("get", f"/grids/{g}/review", "supervise"),
        ("post", f"/grids/{g}/review", "supervise"),
        ("post", f"/grids/{g}/sendings", "supervise"),
        ("get", f"/sendings/{s}", "view"),
        ("get", f"/sendings/{s}/results", "view"),
        ("get", f"/grids/{g}/results", "supervise"),
        ("post", f"/grids/{g}/revert", "supervise"),
        ("post", f"/sendings/{s}/revert", "supervise"),
    ]


def call(crm: Integration, method: str, path: str, system: str) -> requests.Response:
    path = path.format(system=system)
    if path.endswith("/grids") and method == "post":
        return crm.upload(system, "00001")
    if method == "post":
        body = {"review": "0" * 20} if path.endswith("/sendings") else {}
        return crm.post(path, body)
    return crm.get(path)


def test_the_routes_here_are_every_route_of_the_api(crm_grid: Grid, rules: Any) -> None:
    submission = queue_sending(grid=crm_grid, rules=rules)
    numbered = re.compile(r"/\d+")
    here = {
        (method, numbered.sub("/{}", path.replace("{system}", "{}")))
        for method, path, _n in routes(crm_grid, submission)
    }
    schema = ninja_api.get_openapi_schema()
    named = re.compile(r"\{[a-z_]+\}")
    there = {
        (method, named.sub("{}", path.removeprefix("/api/v1")))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    assert here == there


@pytest.mark.parametrize("role", ["Viewer", "Supervisor", "Administrator", None])
def test_each_role_does_through_the_api_what_it_may_on_the_pages(
    live_server: Any, django_user_model: Any, crm_grid: Grid, rules: Any, role: str | None
) -> None:
    submission = queue_sending(grid=crm_grid, rules=rules)
    crm = Integration(live_server.url, key_of(person(django_user_model, "someone", role)))

    for method, path, needs in routes(crm_grid, submission):
        answer = call(crm, method, path, "thulium")
        allowed = role in {"Administrator", "Supervisor"} or (role == "Viewer" and needs == "view")
        assert answer.status_code not in {401, 404}, (role, method, path, answer.text)
        assert (answer.status_code != 403) is allowed, (role, method, path, answer.status_code)
        if not allowed:
            assert "Ask an administrator for the role you need." in answer.json()["detail"]


@pytest.fixture
def other(db: Any) -> ThuliumSystem:
    """A system whose Thulium cannot be reached: a route that asked it would fail, not 404."""
    return thulium_system_add(
        name="other", base_url=UNREACHABLE, api_user="u", password="p", actor=None
    )


@pytest.mark.parametrize(
    "grant",
    [("", Grant.Role.SUPERVISOR), ("", Grant.Role.ADMINISTRATOR), ("00001", Grant.Role.SUPERVISOR)],
)
def test_a_token_reaches_nothing_outside_its_users_grants(
    live_server: Any,
    django_user_model: Any,
    crm_grid: Grid,
    rules: Any,
    other: ThuliumSystem,
    grant: tuple[str, str],
) -> None:
    submission = queue_sending(grid=crm_grid, rules=rules)
    user = person(django_user_model, "granted", None)
    Grant.objects.create(user=user, system=other, campaign=grant[0], role=grant[1])
    crm = Integration(live_server.url, key_of(user))

    for method, path, _needs in routes(crm_grid, submission):
        answer = call(crm, method, path, "thulium")
        assert answer.status_code == 404, (grant, method, path, answer.status_code)
        assert answer.json() == {"detail": "Not found."}
    # A system that does not exist answers as one not given.
    assert crm.upload("no-such-system", "00001").status_code == 404
    assert (
        not Grid.objects.filter(campaign__system=crm_grid.campaign.system)
        .exclude(pk=crm_grid.pk)
        .exists()
    )


# --- tokens, the rate, the schema, the language --------------------------------------------------


def test_a_revoked_or_unknown_token_is_refused(
    live_server: Any, supervisor: User, crm_grid: Grid
) -> None:
    browser = Browser(live_server.url, supervisor)
    token = browser.make_token("to revoke")
    crm = Integration(live_server.url, token)
    assert crm.get(f"/grids/{crm_grid.pk}").status_code == 200

    stored = ApiToken.objects.get()
    browser.post(reverse("campaigns:api_token_revoke", args=[stored.pk]), {})

    refused = crm.get(f"/grids/{crm_grid.pk}")
    assert refused.status_code == 401
    assert "Bearer" in refused.json()["detail"]
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert Integration(live_server.url, token + "x").get("/grids/1").status_code == 401
    bare = requests.get(f"{live_server.url}/api/v1/grids/{crm_grid.pk}", timeout=30)
    assert bare.status_code == 401
    assert "Revoked" in browser.tokens_page().text
    assert AuditEntry.objects.filter(action=AuditEntry.Action.API_TOKEN_REVOKED).count() == 1


def test_someone_elses_token_cannot_be_revoked(
    live_server: Any, supervisor: User, django_user_model: Any
) -> None:
    theirs = api_token_create(user=person(django_user_model, "anna", "Supervisor"), name="anna's")
    browser = Browser(live_server.url, supervisor)

    answer = browser.post(reverse("campaigns:api_token_revoke", args=[theirs.token.pk]), {})

    assert answer.status_code == 404
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None


def test_each_token_has_its_own_rate_per_minute(
    live_server: Any, settings: Any, supervisor: User, crm_grid: Grid
) -> None:
    settings.API_RATE_PER_MINUTE = 3
    crm = Integration(live_server.url, key_of(supervisor))
    other = Integration(live_server.url, key_of(supervisor))

    answers = [crm.get(f"/grids/{crm_grid.pk}") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 60
    assert answers[-1].json()["detail"]
    assert other.get(f"/grids/{crm_grid.pk}").status_code == 200


def test_the_schema_is_openapi_3_and_its_docs_page_loads_nothing_from_elsewhere(
    live_server: Any,
) -> None:
    schema = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=30)
    docs = requests.get(f"{live_server.url}/api/v1/docs", timeout=30)

    assert schema.status_code == 200
    validate(schema.json())
    assert schema.json()["openapi"].startswith("3.")
    assert len([op for ops in schema.json()["paths"].values() for op in ops]) == 12
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    assert all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert requests.get(live_server.url + asset, timeout=30).status_code == 200, asset


def test_errors_come_in_the_language_the_request_asks_for(
    live_server: Any, django_user_model: Any, crm_grid: Grid
) -> None:
    key = key_of(person(django_user_model, "ewa", "Supervisor"))
    polish = Integration(live_server.url, key, language="pl")
    english = Integration(live_server.url, key, language="en")
    viewer = Integration(
        live_server.url, key_of(person(django_user_model, "wiktor", "Viewer")), language="pl"
    )
    assert polish.post(f"/grids/{crm_grid.pk}/review", {}).status_code == 200

    stale = polish.post(f"/grids/{crm_grid.pk}/sendings", {"review": "0" * 20})
    forbidden = viewer.post(f"/grids/{crm_grid.pk}/revert")
    missing = polish.get("/grids/999999")

    assert stale.status_code == 400
    assert stale.json()["detail"].startswith("Siatka zmieniła się od przeglądu wysyłki")
    assert forbidden.status_code == 403
    assert "Ask an administrator" not in forbidden.json()["detail"]
    assert missing.status_code == 404
    assert (
        english.post(f"/grids/{crm_grid.pk}/sendings", {"review": "0" * 20})
        .json()["detail"]
        .startswith("The grid changed since you reviewed the sending")
    )
