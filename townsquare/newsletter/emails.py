"""The newsletter's emails: the reply to a subscription, and each digest message.

Links are absolute, from settings.SITE_URL (digests are sent by the worker, outside any
request). Digest messages carry List-Unsubscribe with the one-click POST of RFC 8058.
"""

import email.policy
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from .models import Digest, Subscriber
from .tokens import confirm_token, manage_token

log = logging.getLogger(__name__)


def absolute(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def links(subscriber: Subscriber) -> dict[str, str]:
    token = manage_token(subscriber)
    return {"manage_url": absolute("newsletter_manage", token),
            "unsubscribe_url": absolute("newsletter_unsubscribe", token)}


def send_subscribe_reply(subscriber: Subscriber, *, already: bool) -> None:
    """A confirmation link, or (for an address already subscribed) where to manage it."""
    context = {"site_name": settings.SITE_NAME, "subscriber": subscriber,
               "days": settings.NEWSLETTER_CONFIRM_DAYS, **links(subscriber)}
    if already:
        subject = f"You are already subscribed to the {settings.SITE_NAME} newsletter"
        body = render_to_string("newsletter/email/already_subscribed.txt", context)
    else:
        subject = f"Confirm your subscription to the {settings.SITE_NAME} newsletter"
        context["confirm_url"] = absolute("newsletter_confirm", confirm_token(subscriber))
        body = render_to_string("newsletter/email/confirm.txt", context)
    try:
        EmailMessage(subject=subject, body=body, to=[subscriber.email]).send()
    except Exception:
        # The page says the same whatever happens to the email; the log says what did.
        log.warning("newsletter: the subscription email to subscriber %s failed",
                    subscriber.pk, exc_info=True)


def render_digest(digest: Digest, picks: list) -> tuple[str, str, str]:
    """Subject, HTML and text of the digest's topic list, shared by all its messages."""
    context = {"digest": digest, "picks": picks, "site_url": settings.SITE_URL,
               "site_name": settings.SITE_NAME}
    label = "Today" if digest.frequency == "daily" else "This week"
    subject = f"{label} on {settings.SITE_NAME}: {picks[0].topic.title}"
    html = render_to_string("newsletter/email/digest_topics.html", context)
    text = render_to_string("newsletter/email/digest_topics.txt", context)
    return subject[:200], html, text


def message_id(digest: Digest, subscriber: Subscriber) -> str:
    """The same for a digest and subscriber whoever builds it, so a receiving server can
    tell a repeat from a new message."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<digest-{digest.pk}.{subscriber.pk}@{host}>"


class DigestMessage(EmailMultiAlternatives):
    """A digest email whose header lines may be as long as RFC 5322 allows (998). With the
    usual 78, Python folds the long List-Unsubscribe URL, which has no spaces, into RFC 2047
    encoded words, and mail clients would no longer find the URL there."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def digest_message(digest: Digest, subscriber: Subscriber) -> EmailMultiAlternatives:
    urls = links(subscriber)
    # digest.html was rendered (and escaped) by render_digest from our own template.
    context = {"digest": digest, "subscriber": subscriber, "site_name": settings.SITE_NAME,
               "site_url": settings.SITE_URL, "topics_html": mark_safe(digest.html),
               "topics_text": digest.text, **urls}
    message = DigestMessage(
        subject=digest.subject, to=[subscriber.email],
        body=render_to_string("newsletter/email/digest.txt", context),
        headers={"List-Unsubscribe": f"<{urls['unsubscribe_url']}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Message-ID": message_id(digest, subscriber)})
    message.attach_alternative(render_to_string("newsletter/email/digest.html", context),
                               "text/html")
    return message
