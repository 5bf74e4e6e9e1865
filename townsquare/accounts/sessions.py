"""Database sessions, read with one plain query per request (writes stay Django's own).

Every request a member makes loads their session; building the ORM query for that one-row
read by primary key costs several times what the database spends answering it. When this
process has decoded the session before, it knows whose it is, and the same query brings that
member's user row (see backends.py): a member's page starts with one read instead of two.
"""

import copy

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from townsquare.core.memo import LocalMemo

from .backends import rows_read_with_session, user_columns
from .models import User

# Sessions decoded, by their stored text (signed: the same text always decodes the same), so
# a member's every page does not check the signature and unpack the same data again.
_decoded = LocalMemo(2000)
# Whose each session was when last decoded here, by session key: a guess (the session's
# data decides who is signed in; a wrong guess only costs the separate user read).
_owner = LocalMemo(20_000)


class SessionStore(DatabaseSessionStore):
    """Django's database session store with a cheaper read."""

    def load(self):
        ops = connection.ops
        table = ops.quote_name(self.model._meta.db_table)
        now = ops.adapt_datetimefield_value(timezone.now())
        rows = rows_read_with_session.get()
        owner = _owner.get(self.session_key) if rows is not None else None
        with connection.cursor() as cursor:
            if owner is None:
                cursor.execute(f"SELECT s.session_data FROM {table} s "
                               "WHERE s.session_key = %s AND s.expire_date > %s",
                               [self.session_key, now])
            else:
                users = ops.quote_name(User._meta.db_table)
                cursor.execute(
                    f"SELECT s.session_data, {user_columns('u')} FROM {table} s "
                    f"LEFT JOIN {users} u ON u.{ops.quote_name(User._meta.pk.column)} = %s "
                    "WHERE s.session_key = %s AND s.expire_date > %s",
                    [owner, self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        if owner is not None and row[1] is not None:  # the member's row came along
            rows[owner] = row[1:]
        data = _decoded.get(row[0])
        if data is None:
            data = self.decode(row[0])
            _decoded.put(row[0], data)
        self._remember_owner(data)
        return copy.deepcopy(data)

    def _remember_owner(self, data: dict) -> None:
        try:
            owner = User._meta.pk.to_python(data[SESSION_KEY])
        except Exception:  # nobody signed in, or not an id: nothing to guess next time
            return
        if _owner.get(self.session_key) != owner:
            _owner.put(self.session_key, owner)
