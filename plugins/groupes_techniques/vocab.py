"""Names and fixed vocabularies of the groupes_techniques plugin (kinds, permissions, periods)."""

from __future__ import annotations

from babel.support import LazyProxy

from core.i18n import lazy_gettext as _l

PLUGIN = "groupes_techniques"
GROUP_KIND = "groupes_techniques.groupe"
COMMITTEE_KIND = "groupes_techniques.comite"
#: the space kinds whose meetings the plugin tracks
KINDS = (GROUP_KIND, COMMITTEE_KIND)

#: plan meetings, run date polls, read the tally (animators)
ANIMATE = "groupes_techniques.animate"
#: see the group's obligations and history (members)
VIEW = "groupes_techniques.view"

# obligation periods
SEMESTER = "semester"
YEAR = "year"
PERIODS: dict[str, LazyProxy] = {SEMESTER: _l("par semestre"), YEAR: _l("par an")}

#: the largest number of meetings an obligation may ask for in one period
MAX_MEETINGS = 24

# compliance statuses, from best to worst
MET = "met"
PLANNED = "planned"
TODO = "todo"
AT_RISK = "at_risk"
MISSED = "missed"
UPCOMING = "upcoming"
NONE = "none"

STATUS_LABELS: dict[str, LazyProxy] = {
    MET: _l("Respectée"),
    PLANNED: _l("Prévue"),
    TODO: _l("À prévoir"),
    AT_RISK: _l("En risque"),
    MISSED: _l("Manquée"),
    UPCOMING: _l("À venir"),
    NONE: _l("Sans obligation"),
}
#: a short sign shown next to the label in tables (never alone: colour-blind and screen readers)
STATUS_SIGNS = {MET: "✓", PLANNED: "◷", TODO: "…", AT_RISK: "!", MISSED: "✗", UPCOMING: "", NONE: "–"}

# date poll answers
YES = "yes"
IF_NEED_BE = "maybe"
NO = "no"
ANSWERS: dict[str, LazyProxy] = {YES: _l("Oui"), IF_NEED_BE: _l("Si besoin"), NO: _l("Non")}

# reminder rules
SEMESTER_RULE = "groupes_techniques.semester"
ESCALATION_RULE = "groupes_techniques.escalation"
POLL_RULE = "groupes_techniques.poll"


def label(vocabulary: dict[str, LazyProxy], code: str) -> str:
    """The translated label of ``code`` (the code itself when unknown)."""
    found = vocabulary.get(code)
    return str(found) if found is not None else code
