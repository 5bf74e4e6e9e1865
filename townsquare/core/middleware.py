import logging

from django.db import DatabaseError
from django.shortcuts import render

from .errors import ActionError, Unavailable, database_refusal
from .http import refusal, standalone_refusal

logger = logging.getLogger("townsquare.database")


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
