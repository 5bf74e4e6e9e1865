import logging

from django.contrib.auth.middleware import AuthenticationMiddleware, get_user
from django.db import DatabaseError
from django.shortcuts import render

from townsquare.accounts.backends import rows_read_with_session

from .errors import ActionError, Unavailable, database_refusal
from .http import refusal, standalone_refusal

logger = logging.getLogger("townsquare.database")


class MemberMiddleware(AuthenticationMiddleware):
    """Django's authentication middleware, with the signed-in member (or the anonymous user)
    looked up at once instead of behind a lazy proxy.

    Every page shows who is signed in, so the lookup is never saved; the proxy only costs:
    each attribute read through it is a Python-level detour (a member's topic page makes
    dozens). Django's `request.auser` stays as it was.
    """

    def process_request(self, request):
        super().process_request(request)
        token = rows_read_with_session.set({})  # the session's read may bring the user row
        try:
            request.user = get_user(request)
        finally:
            rows_read_with_session.reset(token)


class ActionErrorMiddleware:
    """Turns a refused action or a missing object into its status page with the reason, and
    a database that is read-only or out of reach into a 503 that says to retry (the same
    errors raised outside a view, in another middleware, reach `views.server_error`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DatabaseError) and (refused := database_refusal(exception)):
            logger.warning("The database refused a request (%s): %s",
                           type(refused).__name__, exception)
            if isinstance(refused, Unavailable):
                return standalone_refusal(refused)  # the site's layout would need the database
            exception = refused
        if isinstance(exception, ActionError):
            return render_error(request, exception)
        return None


def render_error(request, error: ActionError):
    template = "components/error_fragment.html" if request.htmx else "error.html"
    return refusal(render(request, template, {"message": error.message, "status": error.status},
                          status=error.status), error)
