"""The Django admin lists subscribers, digests and deliveries, read-only where the links and
the worker own the state."""

import pytest
from django.utils import timezone

from townsquare.newsletter.models import Delivery, Digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, make_member):
    client.force_login(make_member("boss", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_the_newsletters_rows(staff, make_subscriber):
    subscriber = make_subscriber("reader@example.org")
    now = timezone.now()
    digest = Digest.objects.create(frequency="daily", period_start=now, period_end=now,
                                   created=now, subject="Today on Townsquare: Tides")
    Delivery.objects.create(digest=digest, subscriber=subscriber, status="sent", attempted=now)
    for model, shows in [("subscriber", "reader@example.org"), ("digest", "Daily digest"),
                         ("delivery", "reader@example.org")]:
        response = staff.get(f"/admin/newsletter/{model}/")
        assert response.status_code == 200
        assert shows in response.content.decode()
    page = staff.get(f"/admin/newsletter/subscriber/{subscriber.pk}/change/").content.decode()
    assert subscriber.manage_key not in page and subscriber.confirm_nonce not in page


@pytest.mark.parametrize("model", ["subscriber", "digest", "delivery"])
def test_rows_are_not_added_by_hand(staff, model):
    assert staff.get(f"/admin/newsletter/{model}/add/").status_code == 403
