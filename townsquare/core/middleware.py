from django.shortcuts import render

from .errors import ActionError


class ActionErrorMiddleware:
    """Turns a refused action or a missing object into its status page with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ActionError):
            return render_error(request, exception)
        return None


def render_error(request, error: ActionError):
    template = "components/error_fragment.html" if request.htmx else "error.html"
    return render(request, template, {"message": error.message, "status": error.status},
                  status=error.status)
