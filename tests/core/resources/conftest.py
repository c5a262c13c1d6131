"""Fixtures of the resources tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.core.resources.followup_world import World, build_world


@pytest.fixture
def world(db: Session, app: object) -> World:
    """The test network (see :mod:`tests.core.resources.followup_world`)."""
    return build_world(db)
