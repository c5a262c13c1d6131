"""Forms of the resource pages."""

from __future__ import annotations

from wtforms import FileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from core.i18n import lazy_gettext as _l
from core.resources.models import ANIMATORS, MEMBERS, PUBLIC
from core.web.forms import REQUIRED, BaseForm, WebUrl

VISIBILITY_CHOICES = [
    SelectChoice(PUBLIC, _l("Tout le monde (public)")),
    SelectChoice(MEMBERS, _l("Les membres de l'espace (et les invités de la réunion)")),
    SelectChoice(ANIMATORS, _l("Les animateurs et animatrices de l'espace")),
]


class _ResourceForm(BaseForm):
    title = StringField(_l("Titre"), [InputRequired(REQUIRED), Length(max=300)])
    description = TextAreaField(_l("Description"), [Optional(), Length(max=5000)])
    visibility = RadioField(_l("Qui peut la voir ?"), choices=VISIBILITY_CHOICES, default=MEMBERS)


class DocumentForm(_ResourceForm):
    """Upload a document (the file is checked by the service, by content and size)."""

    file = FileField(_l("Fichier"))


class LinkForm(_ResourceForm):
    """Add a link to a web page (http or https only)."""

    url = StringField(_l("Adresse du lien"), [InputRequired(REQUIRED), WebUrl()])
