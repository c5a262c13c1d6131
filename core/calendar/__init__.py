"""The shared calendar: meetings of every space, agenda, invitations, RSVP, attendance, minutes."""
