from django.contrib.auth.middleware import AuthenticationMiddleware, get_user

from .backends import rows_read_with_session


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
