"""Console users: members of the flower shop with each role, and one of another org."""

import pytest
from django.contrib.auth import get_user_model

from orgconfig.models import Role
from orgconfig.services import membership_set
from platforms.services import platform_register

PASSWORD = "a-long-console-password-42"


@pytest.fixture(autouse=True)
def _fresh_route_stats(monkeypatch):
    """Counts buffered by earlier tests' requests must not reach this test's figures."""
    from ucp import routestats

    monkeypatch.setattr(routestats, "_buffer", routestats.Buffer())


def console_user(username, org=None, role=None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=True, **extra
    )
    if org is not None:
        membership_set(org=org, user=user, role=role)
    return user


@pytest.fixture
def org_admin(org):
    return console_user("flora", org, Role.UCP_ADMIN)


@pytest.fixture
def org_owner(org):
    return console_user("olive", org, Role.OWNER)


@pytest.fixture
def org_viewer(org):
    return console_user("victor", org, Role.VIEWER)


@pytest.fixture
def superuser(db):
    return console_user("root", is_superuser=True)


@pytest.fixture
def other_platform(other_org):
    platform, _ = platform_register(org=other_org, caption="Rival agent")
    return platform


@pytest.fixture
def console(client):
    """A Django test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
