"""The erasure confirmation form."""

from __future__ import annotations

from wtforms import BooleanField
from wtforms.validators import DataRequired

from core.i18n import lazy_gettext as _l
from core.web.forms import BaseForm


class EraseForm(BaseForm):
    """An erasure cannot be undone: the administrator ticks a box to confirm."""

    confirm = BooleanField(
        _l("Je confirme : effacer définitivement les données de cette personne."),
        [DataRequired(_l("Cochez la case pour confirmer l'effacement."))],
    )
