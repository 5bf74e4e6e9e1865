"""Database sessions, read with one plain query per request (writes stay Django's own).

Every request a member makes loads their session; building the ORM query for that one-row
read by primary key costs several times what the database spends answering it.
"""

import copy

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone

from townsquare.core.memo import LocalMemo

# Sessions decoded, by their stored text (signed: the same text always decodes the same), so
# a member's every page does not check the signature and unpack the same data again.
_decoded = LocalMemo(2000)


class SessionStore(DatabaseSessionStore):
    """Django's database session store with a cheaper read."""

    def load(self):
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        data = _decoded.get(row[0])
        if data is None:
            data = self.decode(row[0])
            _decoded.put(row[0], data)
        return copy.deepcopy(data)
