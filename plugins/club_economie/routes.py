"""Pages of the club, mounted at ``/club_economie`` (route names ``club_economie:<name>``).

Public: the club's page, the application form, the answer page of the signed link, the public
members' directory and resources. Club members: the members' directory and their own card.
Animators (and admins): the applications queue, decisions, membership years, resources,
opinions. Every view parses, checks rights on the server, calls a service and renders.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from plugins.club_economie import views_apply, views_club, views_members, views_review

routes: list[BaseRoute] = [
    Route("/", views_club.index, name="index"),
    Route("/candidater", views_apply.apply, methods=["GET", "POST"], name="apply"),
    Route("/candidater/merci", views_apply.thanks, name="thanks"),
    Route("/candidater/reponse/{token:str}", views_apply.answer, methods=["GET", "POST"], name="answer"),
    Route("/candidatures", views_review.queue, name="queue"),
    Route("/candidatures/anonymiser", views_review.purge, methods=["POST"], name="purge"),
    Route("/candidatures/{application_id:int}", views_review.detail, name="application"),
    Route("/candidatures/{application_id:int}/question", views_review.ask, methods=["POST"], name="ask"),
    Route(
        "/candidatures/{application_id:int}/accepter", views_review.accept, methods=["POST"], name="accept"
    ),
    Route(
        "/candidatures/{application_id:int}/refuser", views_review.decline, methods=["POST"], name="decline"
    ),
    Route("/annuaire", views_members.directory, name="directory"),
    Route("/entreprises", views_members.public_directory, name="public_directory"),
    Route("/ma-fiche", views_members.my_card, methods=["GET", "POST"], name="my_card"),
    Route(
        "/membres/{member_id:int}/fiche", views_members.edit_card, methods=["GET", "POST"], name="edit_card"
    ),
    Route("/adhesions", views_members.years, name="years"),
    Route("/adhesions/{member_id:int}/renouveler", views_members.renew, methods=["POST"], name="renew"),
    Route("/ressources", views_club.resources, methods=["GET", "POST"], name="resources"),
    Route("/avis", views_club.opinions, name="opinions"),
    Route("/avis/nouveau", views_club.opinion_new, methods=["GET", "POST"], name="opinion_new"),
    Route("/avis/{opinion_id:int}", views_club.opinion, methods=["GET", "POST"], name="opinion"),
    Route("/avis/{opinion_id:int}/etat", views_club.opinion_status, methods=["POST"], name="opinion_status"),
]
