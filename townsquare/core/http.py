from django.http import HttpResponseRedirect


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
