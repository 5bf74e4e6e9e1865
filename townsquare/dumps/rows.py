"""Plain multi-row INSERTs for imports: the ORM's per-object work costs more than the database.

Values are prepared once per column with the field's own database conversion, so what lands
in the table is exactly what the ORM would have written.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, models


class RowWriter:
    def __init__(self, model: type[models.Model], columns: Sequence[str]):
        fields = [model._meta.get_field(name) for name in columns]
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            connection.ops.quote_name(model._meta.db_table),
            ", ".join(connection.ops.quote_name(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        self.converters = [self._converter(f) for f in fields]

    @staticmethod
    def _converter(field):
        if isinstance(field, models.DateTimeField):
            if connection.vendor == "sqlite" and settings.USE_TZ \
                    and connection.timezone_name == "UTC":
                return _sqlite_utc_text
            return connection.ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return connection.ops.adapt_datefield_value
        if isinstance(field, models.JSONField):
            return lambda value: field.get_db_prep_save(value, connection)
        return None

    def write(self, rows: Iterable[Sequence]) -> int:
        converters = list(enumerate(self.converters))
        prepared = []
        for row in rows:
            row = list(row)
            for i, convert in converters:
                if convert is not None and row[i] is not None:
                    row[i] = convert(row[i])
            prepared.append(row)
        if prepared:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, prepared)
        return len(prepared)


def _sqlite_utc_text(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware time with USE_TZ and the database in
    UTC (naive UTC as text), without its general checks: an import writes one per post."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)
