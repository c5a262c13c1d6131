"""The route × role matrix, generated from ``app.routes`` (plugins included).

Seven roles (anonymous, member of space A, animator of another space, animator of A, trainer
and provider of A, admin) request every route, with path parameters pointing at space A's
objects (a members-only meeting, its minutes, actions, documents, an unlisted contact…), so
an object of another space reached by changing an id (IDOR) shows up as a wrong status.

- ``POLICY`` gives the expected outcome per role for each known route (``L``: sent to the
  login page, ``>``: a local redirect, or the HTTP status);
- every route, known or not (a plugin route added tomorrow), must meet the invariants: never
  a server error, never a redirect off the site, an animator of another space never reaches
  more than a plain member of A, and a refused POST (valid CSRF token, empty form) changes
  nothing in the database.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from core.config import BUILTIN_PLUGINS
from tests.core.security.matrix_world import (
    ROLES,
    Matrix,
    RouteCase,
    collected_routes,
    fingerprint,
    observe,
)
from tests.helpers import csrf_token

OK, L, D, NF = {"200"}, {"L"}, {"403"}, {"404"}
DN = D | NF


def _level(*per_role: set[str]) -> dict[str, set[str]]:
    assert len(per_role) == len(ROLES)
    return dict(zip(ROLES, per_role, strict=True))


#                  anonymous member other-anim animator trainer provider admin
PUBLIC = _level(OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = _level(L, OK, OK, OK, OK, OK, OK)
ADMIN = _level(L, D, D, D, D, D, OK)
ANY_ANIMATOR = _level(L, D, OK, OK, D, D, OK)  # the shared directory: animators of any space
ANIMATOR_A = _level(L, D, DN, OK, D, D, OK)
MEMBERS_A = _level(L, OK, DN, OK, OK, OK, OK)
UNLISTED_CONTACT = _level(L, NF, OK, OK, NF, NF, OK)
BAD_TOKEN = _level(*([{"400", "404", ">"}] * 7))
NOWHERE = _level(L, NF, NF, NF, NF, NF, NF)  # a members-only meeting is never in the public API

POLICY: dict[str, dict[str, set[str]]] = {
    **dict.fromkeys(
        ["home", "accessibility", "privacy", "accounts:login", "directory:organisations",
         "directory:organisations_csv", "directory:organisation", "spaces:list", "spaces:detail",
         "calendar:month", "calendar:week", "calendar:list", "feeds:public", "feeds:space",
         "feeds:subscribe", "resources:list", "api:meetings", "api:openapi", "accounts:language",
         "acces_services:catalogue", "acces_services:guide", "acces_services:service",
         "acces_services:proposals"],
        PUBLIC,
    ),
    "privacy_old": _level(*([{">"}] * 7)),
    "accounts:logout": {**SIGNED_IN, "anonymous": {">"}},  # signing out when signed out: home
    **dict.fromkeys(
        ["accounts:profile", "accounts:password", "accounts:my_data", "accounts:my_data_json",
         "accounts:my_data_zip", "directory:contacts", "calendar:actions",
         "reminders:preferences", "feeds:token_issue", "feeds:token_revoke"],
        SIGNED_IN,
    ),
    **dict.fromkeys(
        ["directory:organisation_new", "directory:organisation_edit", "directory:contacts_csv",
         "directory:contact_new", "directory:contact_edit", "directory:affiliation_add",
         "directory:affiliation_remove", "calendar:meeting_new", "calendar:series_new"],
        ANY_ANIMATOR,
    ),
    "directory:contact": UNLISTED_CONTACT,
    "directory:contact_vcard": UNLISTED_CONTACT,
    **dict.fromkeys(
        ["directory:organisation_delete", "directory:contact_delete", "directory:import", "spaces:create",
         "spaces:edit", "spaces:delete", "spaces:close", "spaces:reopen", "reminders:outbox",
         "reminders:message", "reminders:rules", "reminders:rule", "reminders:retry", "admin:index",
         "admin:users", "admin:user_new", "admin:user", "admin:audit", "admin:privacy_person",
         "admin:privacy_person_json", "admin:privacy_person_zip"],
        ADMIN,
    ),
    # the matrix's message has no HTML part: admins get 404, everyone else is refused first
    "reminders:message_html": _level(L, D, D, D, D, D, NF),
    **dict.fromkeys(
        ["spaces:members", "spaces:add_member", "spaces:remove_member", "calendar:meeting_edit",
         "calendar:meeting_duplicate", "calendar:meeting_cancel", "calendar:meeting_reinstate",
         "calendar:agenda", "calendar:invitations", "calendar:attendance", "calendar:signin_sheet",
         "calendar:signin_pdf", "calendar:attendance_csv", "calendar:minutes_edit",
         "calendar:minutes_publish", "calendar:decisions", "calendar:action_items",
         "calendar:action_item_update", "resources:delete", "resources:new_document",
         "resources:new_link", "acces_services:service_new", "acces_services:service_edit",
         "acces_services:service_archive", "acces_services:figures", "acces_services:figure_new",
         "acces_services:figure_edit", "acces_services:figures_import",
         "acces_services:figures_template", "acces_services:proposal_new",
         "acces_services:proposal_edit", "acces_services:proposal_status", "acces_services:settings"],
        ANIMATOR_A,
    ),
    **dict.fromkeys(
        ["calendar:meeting", "calendar:minutes", "feeds:meeting_ics", "resources:download",
         "acces_services:indicators", "acces_services:indicators_csv",
         "acces_services:service_indicators", "acces_services:dashboard"],
        MEMBERS_A,
    ),
    "acces_services:proposal": PUBLIC,  # the first proposal of the platform is a public one
    "api:meeting": NOWHERE | {"anonymous": NF},
    **dict.fromkeys(
        ["calendar:rsvp", "feeds:private", "reminders:unsubscribe", "reminders:unsubscribe_one_click"],
        BAD_TOKEN,
    ),
}
# The other plugins' routes, in each plugin's first space (the club, the training unit, a working
# group), where the member and the animator of A hold the same roles and the trainer is a trainer
# of the unit (but not of cycle 1, another trainer's); the other animator and the provider are
# signed-in partners with no role there.
ANIMATOR_HOME = _level(L, D, D, OK, D, D, OK)
MEMBERS_HOME = _level(L, OK, D, OK, D, D, OK)
POLICY.update({
    # groupes_techniques (issue 5): the compliance table, its exports, each group's page and the
    # annual report (the groups the reader may see) are for signed-in partners; admins create
    # groups and change obligations; the group's animators propose dates, read the answers and
    # fix the date (the poll is the world's, in the first group: see ``MISSING_DEMO_ROWS``)
    **dict.fromkeys(
        ["groupes_techniques:index", "groupes_techniques:compliance_csv",
         "groupes_techniques:compliance_print", "groupes_techniques:group",
         "groupes_techniques:report_current", "groupes_techniques:report",
         "groupes_techniques:report_print", "groupes_techniques:report_csv"],
        SIGNED_IN,
    ),
    **dict.fromkeys(
        ["groupes_techniques:group_new", "groupes_techniques:obligation", "groupes_techniques:close",
         "groupes_techniques:delete"],
        ADMIN,
    ),
    **dict.fromkeys(
        ["groupes_techniques:poll_new", "groupes_techniques:poll", "groupes_techniques:poll_choose"],
        ANIMATOR_HOME,
    ),
    "groupes_techniques:poll_answer": BAD_TOKEN,
    # club_economie (issue 6): the club's page, the application form, the public directory and the
    # resources are public; the members' directory and the opinions are for the club's members;
    # reviewing applications, members' cards, memberships and writing opinions for its animators
    **dict.fromkeys(
        ["club_economie:index", "club_economie:apply", "club_economie:thanks",
         "club_economie:public_directory", "club_economie:resources"],
        PUBLIC,
    ),
    "club_economie:answer": BAD_TOKEN,
    **dict.fromkeys(["club_economie:directory", "club_economie:opinions"], MEMBERS_HOME),
    **dict.fromkeys(
        ["club_economie:queue", "club_economie:application", "club_economie:purge", "club_economie:ask",
         "club_economie:accept", "club_economie:decline", "club_economie:edit_card", "club_economie:years",
         "club_economie:opinion_new", "club_economie:opinion", "club_economie:opinion_status"],
        ANIMATOR_HOME,
    ),
    # a member renews their own membership; member 1 is nobody's of the matrix
    "club_economie:renew": ANIMATOR_HOME,
    "club_economie:my_card": _level(L, NF, NF, NF, NF, NF, NF),  # no account of the matrix has a card
    # unite_formation (issue 7): the catalogue, a published cycle's page and its calendar are
    # public, and so is registering; trainers manage their own cycles, the unit's animators and the
    # admins all of them and the statistics
    **dict.fromkeys(
        ["unite_formation:index", "unite_formation:cycle", "unite_formation:cycle_ics",
         "unite_formation:register"],
        PUBLIC,
    ),
    **dict.fromkeys(
        ["unite_formation:cancel_link", "unite_formation:offer_link", "unite_formation:attestation_link",
         "unite_formation:evaluation_link"],
        BAD_TOKEN,
    ),
    **dict.fromkeys(["unite_formation:manage", "unite_formation:cycle_new"], _level(L, D, D, OK, OK, D, OK)),
    **dict.fromkeys(
        ["unite_formation:cycle_admin", "unite_formation:cycle_edit", "unite_formation:attendance",
         "unite_formation:results", "unite_formation:statistics", "unite_formation:statistics_csv",
         "unite_formation:session_add", "unite_formation:session_remove", "unite_formation:publish",
         "unite_formation:close", "unite_formation:cancel"],
        ANIMATOR_HOME,
    ),
    # the matrix's registration has not attended enough: no attestation, even for the admin
    "unite_formation:attestation": _level(L, D, D, D, D, D, D),
})
#: query strings some routes need to name their target
QUERY = {"resources:new_document": "?espace={space_a_id}", "resources:new_link": "?espace={space_a_id}"}

ROUTES = collected_routes()
GET_ROUTES = [r for r in ROUTES if "GET" in r.methods]
POST_ROUTES = [r for r in ROUTES if "POST" in r.methods]
DENIED = {"L", "403", "404"}
CSRF_REFUSAL = "Le formulaire a expiré"


def _url(matrix: Matrix, case: RouteCase) -> str:
    return matrix.world.url(case) + QUERY.get(case.name, "").format(**matrix.world.params)


def _check_invariants(case: RouteCase, seen: dict[str, str]) -> list[str]:
    problems = [f"{role}: {got}" for role, got in seen.items() if got.startswith("5") or got == "X"]
    # an animator of another space reaches no more than a member of A (IDOR), except where the
    # policy says any animator may (the shared directory)
    wide = "200" in POLICY.get(case.name, {}).get("other_animator", set())
    if seen["member"] in DENIED and seen["other_animator"] not in DENIED and not wide:
        problems.append(
            f"other_animator reaches {seen['other_animator']} where a member of A gets {seen['member']}"
        )
    return problems


@pytest.mark.parametrize("case", GET_ROUTES, ids=lambda c: c.name)
def test_get_route_by_role(matrix: Matrix, case: RouteCase) -> None:
    url = _url(matrix, case)
    seen = {role: observe(matrix.clients[role].get(url)) for role in ROLES}
    problems = _check_invariants(case, seen)
    expected = POLICY.get(case.name)
    if expected is not None:
        problems += [
            f"{role}: got {got}, expected {sorted(expected[role])}"
            for role, got in seen.items()
            if got not in expected[role]
        ]
    assert not problems, f"GET {url}\n" + "\n".join(problems)


@pytest.mark.parametrize("case", POST_ROUTES, ids=lambda c: c.name)
def test_refused_post_changes_nothing(matrix: Matrix, case: RouteCase) -> None:
    """Each role the policy refuses (anonymous for every route not known to be public) POSTs a
    valid CSRF token and an empty form: refused the same way, nothing written."""
    url = _url(matrix, case)
    expected = POLICY.get(case.name)
    refused = [role for role in ROLES if expected[role] <= DENIED] if expected is not None else ["anonymous"]
    problems = []
    for role in refused:
        client = matrix.clients[role]
        client._reseau_csrf = None  # the session's current token, fetched afresh
        before = fingerprint(matrix.app)
        response = client.post(url, data={"csrf_token": csrf_token(client)})
        got = observe(response)
        if CSRF_REFUSAL in response.text:
            problems.append(f"{role}: refused by the CSRF check, the view was not reached")
        if fingerprint(matrix.app) != before:
            problems.append(f"{role}: the database changed ({got})")
        # a POST from someone signed out is refused outright (403) rather than sent to the login
        allowed = DENIED | {"400"}
        if expected is not None:
            allowed = expected[role] | {"400"} | ({"403"} if "L" in expected[role] else set())
        if got not in allowed:
            problems.append(f"{role}: got {got}, expected {sorted(allowed)}")
    assert not problems, f"POST {url}\n" + "\n".join(problems)


def test_every_core_route_has_an_expected_outcome(matrix: Matrix) -> None:
    """Core routes must be classified; plugin routes fall back on the invariants (their owners
    add them to ``POLICY``)."""
    plugins = set(BUILTIN_PLUGINS)
    missing = [r.name for r in ROUTES if r.name not in POLICY and r.name.split(":")[0] not in plugins]
    assert not missing, f"routes without an expected outcome per role: {missing}"
    core_unresolved = {name for name in matrix.world.unresolved if name.split(":")[0] not in plugins}
    assert not core_unresolved, f"path parameters the world could not fill: {core_unresolved}"


def test_matrix_size(matrix: Matrix) -> None:
    """The figures of the matrix (printed with ``-s``): routes × roles and requests made."""
    pairs = len(GET_ROUTES) * len(ROLES)
    print(f"\n[{matrix.backend}] routes {len(ROUTES)} (GET {len(GET_ROUTES)}, POST {len(POST_ROUTES)}), "
          f"roles {len(ROLES)}, GET route × role {pairs}, roles missing: {matrix.world.roles_missing}")
    assert len(ROUTES) >= 100 and pairs >= 600


# ------------------------------------------------------------------- CSRF on every POST route

FOREIGN_ORIGIN = "https://evil.example"
SIGNED_LINK_POSTS = {"reminders:unsubscribe_one_click"}


@pytest.mark.parametrize("case", POST_ROUTES, ids=lambda c: c.name)
def test_every_post_route_refuses_a_forged_request(matrix: Matrix, case: RouteCase) -> None:
    """As the admin (who may do everything, so a forged request would act): no token, another
    session's token, a foreign Origin, a cross-site fetch — each refused, nothing written."""
    url = _url(matrix, case)
    admin = matrix.clients["admin"]
    admin._reseau_csrf = None
    own = csrf_token(admin)
    other = matrix.clients["member"]
    other._reseau_csrf = None
    foreign = csrf_token(other)
    assert own != foreign
    before = fingerprint(matrix.app)
    attempts = {
        "no token": admin.post(url, data={}),
        "another session's token": admin.post(url, data={"csrf_token": foreign}),
        "foreign Origin": admin.post(url, data={"csrf_token": own}, headers={"Origin": FOREIGN_ORIGIN}),
        "cross-site fetch": admin.post(
            url, data={"csrf_token": own}, headers={"Sec-Fetch-Site": "cross-site"}
        ),
        "token in a foreign header": admin.post(url, data={}, headers={"X-CSRF-Token": foreign}),
    }
    # RFC 8058 one-click unsubscribe is posted by mail providers: its signed URL token is the
    # authentication, so a forged request gets the bad-token 400 (here the token is invalid)
    refusal = {400, 403} if case.name in SIGNED_LINK_POSTS else {403}
    problems = [f"{what}: {r.status_code}" for what, r in attempts.items() if r.status_code not in refusal]
    assert fingerprint(matrix.app) == before, f"POST {url}: a forged request wrote to the database"
    assert not problems, f"POST {url}\n" + "\n".join(problems)


# ------------------------------------------------------------- open redirects on every next=

NEXT_CORPUS = [
    "//evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "///evil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "https:/\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
]
_ATTRIBUTE = re.compile(
    r"""(?:href|action|formaction|src)\s*=\s*["']\s*(?:https?:)?[/\\]{2}evil\.example""", re.I
)


def _with_next(url: str, target: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode({"next": target})


@pytest.mark.parametrize("case", GET_ROUTES, ids=lambda c: c.name)
def test_no_open_redirect_through_next(matrix: Matrix, case: RouteCase) -> None:
    """Every GET route, with each hostile ``next=``, as a visitor and as the admin: no redirect
    off the site, no link or form pointing off the site."""
    url = _url(matrix, case)
    problems = []
    for role in ("anonymous", "admin"):
        for target in NEXT_CORPUS:
            response = matrix.clients[role].get(_with_next(url, target))
            got = observe(response)
            if got == "X" or "evil.example" in response.headers.get("location", "").split("?")[0]:
                problems.append(f"{role} {target!r}: redirected to {response.headers.get('location')}")
            html = response.headers.get("content-type", "").startswith("text/html")
            if html and _ATTRIBUTE.search(response.text):
                problems.append(f"{role} {target!r}: a link or form points off the site")
    assert not problems, f"GET {url}\n" + "\n".join(problems)


@pytest.mark.parametrize("target", NEXT_CORPUS)
def test_sign_in_and_language_never_leave_the_site(matrix: Matrix, target: str) -> None:
    """The two POSTs that follow ``next``, with the login of a real account."""
    from starlette.testclient import TestClient

    from tests.core.security.matrix_world import PASSWORD

    with TestClient(matrix.app, follow_redirects=False) as client:
        token = csrf_token(client)
        signed = client.post(
            _with_next("/compte/connexion", target),
            data={"csrf_token": token, "email": matrix.world.emails["member"], "password": PASSWORD,
                  "next": target},
        )
        assert observe(signed) == ">", (target, signed.headers.get("location"))
        client._reseau_csrf = None
        switched = client.post("/compte/langue", data={"csrf_token": csrf_token(client), "language": "fr",
                                                       "next": target})
        assert observe(switched) == ">", (target, switched.headers.get("location"))


# --------------------------------------------------------------------- Host header poisoning


@pytest.mark.parametrize("case", GET_ROUTES, ids=lambda c: c.name)
def test_a_poisoned_host_is_refused_everywhere(matrix: Matrix, case: RouteCase) -> None:
    """An unknown Host gets 400 on every route; a forwarded host never reaches a page."""
    url = _url(matrix, case)
    admin = matrix.clients["admin"]
    for host in ("evil.example", "testserver.evil.example", "evil.example:80"):
        assert admin.get(url, headers={"Host": host}).status_code == 400, host
    forwarded = admin.get(url, headers={"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"})
    assert "evil.example" not in forwarded.text
    assert "evil.example" not in forwarded.headers.get("location", "")
