"""Signing members in, and finding the signed-in member on every request cheaply.

Every page a member opens starts with two lookups: their session (see sessions.py) and their
user row. Both are single-row reads by primary key, where building the ORM query costs several
times what the database spends answering it, so both are plain SQL, and a process that has
seen the session before reads both in one query (the session's member is known from its last
decoding; see sessions.py). Everything else (password checks, session writes, permissions) is
Django's own code.
"""

import copy
from contextvars import ContextVar

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from townsquare.core.memo import LocalMemo

from .models import User

_USER_FIELDS = list(User._meta.concrete_fields)
_USER_ATTNAMES = [f.attname for f in _USER_FIELDS]
_converters = None
# Members built from a row, by the row's every value: the same row read again (the same
# member's next page) is copied rather than converted and constructed anew.
_built = LocalMemo(2000)
# User rows read along with the request's session, by member id: filled by the session's
# read, taken by the member lookup right after; None outside MemberMiddleware.
rows_read_with_session: ContextVar[dict | None] = ContextVar("rows_read_with_session",
                                                             default=None)


def user_columns(alias: str) -> str:
    """The user table's columns, in model order, for a SELECT on `alias`."""
    found = _columns.get((connection.vendor, alias))
    if found is None:
        found = _columns[connection.vendor, alias] = ", ".join(
            f"{alias}.{connection.ops.quote_name(f.column)}" for f in _USER_FIELDS)
    return found


_columns: dict[tuple[str, str], str] = {}


def _read_user(pk):
    """One user row by primary key as a model instance, or None."""
    taken = rows_read_with_session.get()
    row = taken.pop(pk, None) if taken else None
    if row is None:
        table = connection.ops.quote_name(User._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {user_columns(table)} FROM {table} "
                           f"WHERE {connection.ops.quote_name(User._meta.pk.column)} = %s",
                           [pk])
            row = cursor.fetchone()
    return None if row is None else user_from_row(row)


def user_from_row(row: tuple) -> User:
    """A member from their row's raw values (as the database driver gives them)."""
    try:
        user = _built.get(row)
        remember = True
    except TypeError:  # a value the driver gives as a dict or list: build it every time
        user, remember = None, False
    if user is None:
        values = list(row)
        for index, conv, col in _row_converters():
            values[index] = conv(values[index], col, connection)
        user = User.from_db("default", _USER_ATTNAMES, values)
        if not remember:
            return user
        _built.put(row, user)
    return _fresh_copy(user)


def _row_converters() -> list:
    global _converters
    if _converters is None:  # once the database connection's vendor is known
        table = User._meta.db_table
        _converters = []
        for index, field in enumerate(_USER_FIELDS):
            col = field.get_col(table)
            for conv in connection.ops.get_db_converters(col) + field.get_db_converters(col):
                _converters.append((index, conv, col))
    return _converters


def _fresh_copy(user: User) -> User:
    """A copy of a remembered member that a request may change freely."""
    fresh = copy.copy(user)
    for name, value in vars(fresh).items():
        if isinstance(value, dict | list):
            setattr(fresh, name, copy.deepcopy(value))
    return fresh


class MemberBackend(ModelBackend):
    """Django's model backend, with the per-request user lookup done in one plain query (or
    none, when the session's read brought the row), and the site's sign-in rules for the
    forms that call `authenticate` (the admin's): the same lookup by name or address, the
    same failure counts and locks, the same length caps."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from townsquare.core.errors import ActionError
        from townsquare.core.ratelimit import client_address

        from .actions import authenticate_member
        from .forms import LOGIN_MAX, PASSWORD_MAX

        if not username or not password or len(username) > LOGIN_MAX \
                or len(password) > PASSWORD_MAX:
            return None
        address = client_address(request) if request is not None else "unknown"
        try:
            return authenticate_member(login=username, password=password, address=address)
        except ActionError:
            return None

    def get_user(self, user_id):
        try:
            pk = User._meta.pk.to_python(user_id)
        except Exception:  # a malformed id in a session: nobody is signed in
            return None
        user = _read_user(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
