from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .health import overall, site_checks


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
