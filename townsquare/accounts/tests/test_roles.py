"""A member's role and whether their account is active: who may change them, and the
"access" event that tells open streams once the change commits."""

import pytest

from townsquare.accounts.actions_access import set_member_active, set_member_role
from townsquare.accounts.models import User
from townsquare.core.errors import Forbidden, Invalid
from townsquare.live.events import event_log

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published():
    start = event_log().latest()
    return lambda: [(e.topic_id, e.audience, e.data) for e in event_log().read_after(start)
                    if e.kind == "access"]


def test_a_role_or_deactivation_tells_the_members_streams(make_member, published):
    root, bo = make_member("root", role="admin"), make_member("bo")
    set_member_role(by=root, member=bo, role="moderator")
    set_member_role(by=root, member=bo, role="moderator")  # no change, nothing to tell
    set_member_active(by=root, member=bo, active=False)
    audience = f"member:{bo.pk}"
    assert published() == [
        (0, audience, {"member": bo.pk, "role": "moderator", "is_active": True,
                       "is_superuser": False}),
        (0, audience, {"member": bo.pk, "role": "moderator", "is_active": False,
                       "is_superuser": False})]
    bo.refresh_from_db()
    assert (bo.role, bo.is_active) == ("moderator", False)


def test_only_administrators_change_roles_and_accounts(make_member, published):
    mo, bo = make_member("mo", role="moderator"), make_member("bo")
    with pytest.raises(Forbidden):
        set_member_role(by=mo, member=bo, role="moderator")
    with pytest.raises(Forbidden):
        set_member_active(by=mo, member=bo, active=False)
    with pytest.raises(Invalid):
        set_member_role(by=make_member(role="admin"), member=bo, role="king")
    assert published() == []
    assert User.objects.filter(pk=bo.pk, role="member", is_active=True).exists()


def test_the_admin_changes_a_role_through_the_action(client, make_member, published):
    from townsquare.live.tests.admin_forms import admin_save

    client.force_login(make_member("boss", role="admin", is_staff=True, is_superuser=True))
    bo = make_member("bo")
    admin_save(client, bo, role="editor", location="Harbour")
    bo.refresh_from_db()
    assert (bo.role, bo.location) == ("editor", "Harbour")
    assert [data["role"] for *_, data in published()] == ["editor"]
