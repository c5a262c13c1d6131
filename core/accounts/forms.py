"""Account forms: sign-in, profile, password change, and the admins' user forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from core.accounts.passwords import MIN_LENGTH
from core.i18n import gettext as _
from core.i18n import lazy_gettext as _l
from core.web.forms import REQUIRED, BaseForm, EmailAddress

#: long enough for any pass phrase, short enough that hashing it costs nothing special
MAX_PASSWORD = 1000


def select_choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms options (``None`` is the empty value, labels translated now)."""
    return [SelectChoice("" if value is None else str(value), str(label)) for value, label in pairs]


def _strip(value: Any) -> Any:
    """Filter: surrounding blanks never count (a name made of spaces is empty)."""
    return value.strip() if isinstance(value, str) else value


def _password_length(form: Any, field: Field) -> None:
    """Validator: a new password is at least :data:`MIN_LENGTH` characters long."""
    if field.data and len(field.data) < MIN_LENGTH:
        raise ValidationError(_("Le mot de passe doit compter au moins %(n)s caractères.", n=MIN_LENGTH))


class LoginForm(BaseForm):
    """Email and password."""

    email = EmailField(_l("Adresse électronique"), [DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Mot de passe"), [DataRequired(REQUIRED), Length(max=MAX_PASSWORD)])
    next = HiddenField()


class ProfileForm(BaseForm):
    """What a user may change about themselves."""

    display_name = StringField(
        _l("Nom affiché"), [DataRequired(REQUIRED), Length(max=200)], filters=[_strip]
    )
    language = RadioField(
        _l("Langue de l'interface"),
        choices=select_choices([("fr", "Français"), ("en", "English")]),
        validators=[InputRequired(REQUIRED)],  # the submitted value, not the account's current one
    )


class PasswordChangeForm(BaseForm):
    """Current password, then the new one twice."""

    current_password = PasswordField(
        _l("Mot de passe actuel"), [DataRequired(REQUIRED), Length(max=MAX_PASSWORD)]
    )
    password = PasswordField(
        _l("Nouveau mot de passe"),
        [DataRequired(REQUIRED), Length(max=MAX_PASSWORD), _password_length],
        description=_l(
            "Au moins 10 caractères. Une phrase de plusieurs mots est plus sûre et plus facile à retenir."
        ),
    )
    confirm = PasswordField(
        _l("Confirmez le nouveau mot de passe"),
        [DataRequired(REQUIRED), EqualTo("password", _l("Les deux mots de passe ne sont pas identiques."))],
    )


def optional_int(value: Any) -> int | None:
    """Coerce for a select of ids: ``""`` means none (or "any"); an unreadable value fails the
    choices check ("N'est pas un choix valide")."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class UserForm(BaseForm):
    """An admin's view of an account (creation and edition)."""

    email = EmailField(_l("Adresse électronique"), [DataRequired(REQUIRED), Length(max=254), EmailAddress()])
    display_name = StringField(
        _l("Nom affiché"), [DataRequired(REQUIRED), Length(max=200)], filters=[_strip]
    )
    contact_id = SelectField(
        _l("Fiche de l'annuaire"),
        coerce=optional_int,
        description=_l(
            "La personne de l'annuaire qui utilise ce compte : ses rôles dans les espaces en découlent."
        ),
    )
    is_admin = BooleanField(
        _l("Administrateur·rice (équipe ville)"),
        description=_l("Peut tout voir et tout modifier, y compris les comptes."),
    )

    def set_contact_choices(self, choices: list[tuple[int, str]]) -> None:
        """The select's options: no contact, then every contact still free."""
        self.contact_id.choices = select_choices([("", _l("— Aucune —")), *choices])


class NewUserForm(UserForm):
    """Creation: an initial password, given to the person by the admin."""

    password = PasswordField(
        _l("Mot de passe initial"),
        [DataRequired(REQUIRED), Length(max=MAX_PASSWORD), _password_length],
        description=_l("Au moins 10 caractères. Transmettez-le à la personne, qui pourra le changer."),
    )


class EditUserForm(UserForm):
    """Edition: the account can be deactivated and given a new password."""

    is_active = BooleanField(
        _l("Compte actif"), description=_l("Un compte désactivé ne peut plus se connecter.")
    )
    new_password = PasswordField(
        _l("Nouveau mot de passe"),
        [Optional(), Length(max=MAX_PASSWORD), _password_length],
        description=_l("Laissez vide pour ne pas le changer. Le changer déconnecte la personne partout."),
    )
