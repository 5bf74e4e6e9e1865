from django.db.models import QuerySet
from django.db.models.functions import Lower

from .models import User

SUGGEST_LIMIT = 8


def list_members_starting(prefix: str, limit: int = SUGGEST_LIMIT) -> QuerySet[User]:
    """Active members whose username starts with `prefix` (any letter case), shortest first."""
    return (User.objects.filter(username__istartswith=prefix, is_active=True)
            .only("pk", "username").order_by(Lower("username"))[:limit])
