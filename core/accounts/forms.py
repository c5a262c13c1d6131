"""Account forms."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length

from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm


class LoginForm(BaseForm):
    """Email and password."""

    email = EmailField(_l("Adresse électronique"), [DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), [DataRequired(REQUIRED), Length(max=1000)])
    next = HiddenField()
