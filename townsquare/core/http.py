from django.http import HttpResponse, HttpResponseRedirect
from django.template import loader


def see_other(url: str) -> HttpResponseRedirect:
    """303 See Other: after a successful POST, the browser GETs the result."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def refusal(response, error):
    """A page or fragment answering a refused action: a rate limit's says when to retry."""
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def standalone_refusal(error) -> HttpResponse:
    """A refusal page that needs neither the database nor the request (templates/503.html):
    for when the database is out of reach, so the site's own layout cannot be built."""
    page = loader.get_template("503.html").render({"message": error.message})
    return refusal(HttpResponse(page, status=error.status), error)
