"""Notification emails, sent by the worker: at most once per notification, never about one
the member has already seen (read), and only as often as their preference says."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from townsquare.forum import permissions

from .models import Notification, Preferences

log = logging.getLogger(__name__)
BATCH = 200


def due_immediately(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFY_EMAIL_DELAY_SECONDS)
    return Notification.objects.filter(emailed__isnull=True, read__isnull=True,
                                       created__lte=cutoff).exclude(
        recipient__notification_preferences__email__in=[Preferences.Email.DAILY,
                                                        Preferences.Email.NEVER])


def due_daily(now=None):
    now = now or timezone.now()
    cutoff = now.replace(hour=settings.NOTIFY_DAILY_HOUR, minute=0, second=0, microsecond=0)
    if cutoff > now:
        cutoff -= timedelta(days=1)
    return Notification.objects.filter(
        emailed__isnull=True, read__isnull=True, created__lte=cutoff,
        recipient__notification_preferences__email=Preferences.Email.DAILY)


def send_due(kind: str) -> int:
    """Send what is due ("immediately" or "daily"): one email per member with everything
    waiting for them. Returns how many emails went out."""
    due = due_immediately() if kind == "immediately" else due_daily()
    sent = 0
    for member_id in list(due.values_list("recipient_id", flat=True).distinct()[:BATCH]):
        notifications = _claim(due, member_id)
        if notifications and _send(notifications, daily=kind == "daily"):
            sent += 1
    return sent


def _claim(due, member_id: int) -> list[Notification]:
    """Mark a member's due notifications emailed (committed before sending: a worker killed
    mid-send never mails them twice) and return the ones still worth telling."""
    with transaction.atomic():
        rows = list(due.filter(recipient_id=member_id).select_for_update(of=("self",))
                    .select_related("recipient", "actor", "topic", "post__topic__category"))
        Notification.objects.filter(pk__in=[n.pk for n in rows], emailed__isnull=True).update(
            emailed=timezone.now())
    if not rows or not rows[0].recipient.email or not rows[0].recipient.is_active:
        return []
    member = rows[0].recipient
    return [n for n in rows if permissions.can_see(member, n.post) and not n.post.deleted]


def _send(notifications: list[Notification], *, daily: bool) -> bool:
    member = notifications[0].recipient
    site = settings.SITE_URL
    context = {"member": member, "notifications": notifications, "site_url": site,
               "site_name": settings.SITE_NAME, "daily": daily,
               "settings_url": f"{site}/notifications/settings/"}
    if len(notifications) == 1:
        subject = render_to_string("notifications/line.txt",
                                   {"n": notifications[0]}).strip()
    else:
        subject = f"{len(notifications)} new notifications on {settings.SITE_NAME}"
    message = EmailMultiAlternatives(
        subject=subject[:200], to=[member.email],
        body=render_to_string("notifications/email.txt", context),
        headers={"List-Unsubscribe": f"<{context['settings_url']}>"})
    message.attach_alternative(render_to_string("notifications/email.html", context),
                               "text/html")
    try:
        message.send()
    except Exception:
        log.warning("notification email to member %s failed", member.pk, exc_info=True)
        return False
    return True
