"""Club des Acteurs de l'Économie : les entrepreneurs candidatent, les animateurs les accueillent."""

LABEL = "Club des Acteurs de l'Économie"
