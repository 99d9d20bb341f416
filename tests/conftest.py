import pytest
from django.contrib.auth.models import Group, User

from quotes.demo import load_demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database also gets the cache table (API throttling counts in the shared cache)."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


def _user_in(username: str, group: str | None) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.org", "pw-for-tests", is_staff=group is not None
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db) -> User:
    return _user_in("eddie-editor", "editors")


@pytest.fixture
def reviewer(db) -> User:
    return _user_in("rita-reviewer", "reviewers")


@pytest.fixture
def plain_user(db) -> User:
    return _user_in("nora-nogroup", None)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("sue-super", "sue@example.org", "pw-for-tests")


@pytest.fixture
def demo(db):
    """The demo archive of three published quotes from the Cuba article."""
    return load_demo()
