"""Personal data (RGPD): export, erasure, retention and purge, the privacy page.

The schema says where personal data lives (``info=PERSONAL`` columns, links to contacts, users
and email addresses, ``Retention`` declarations); nothing here lists tables by hand.
"""
