import logging
import sys

from django.db import DatabaseError
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .errors import database_refusal
from .health import overall, site_checks
from .http import standalone_refusal

logger = logging.getLogger("townsquare.database")


@require_safe
@never_cache
def health(request):
    """The site's state for a monitor: 503 when it cannot serve, else 200 ("ok" or
    "degraded", with each check)."""
    checks = site_checks()
    status = overall(checks)
    return JsonResponse(
        {"status": status,
         "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}},
        status=503 if status == "down" else 200,
    )


def server_error(request):
    """The 500 handler. A database that went away or turned read-only is no server error: it
    answers 503 with Retry-After, wherever it was raised (a session read in a middleware as
    well as a view). The page needs no database, nor the request's context."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError) and (refused := database_refusal(error)):
        logger.warning("The database refused a request (%s): %s", type(refused).__name__, error)
        return standalone_refusal(refused)
    return HttpResponseServerError(loader.get_template("500.html").render())
