"""The live event log's part of `/health/` (settings.HEALTH_CHECKS)."""

import logging

from townsquare.core.health import Check

from .events import event_log

log = logging.getLogger(__name__)


def check_event_log() -> Check:
    try:
        event_log().latest()
    except Exception:
        log.warning("health: the live event log did not answer", exc_info=True)
        return Check("live events", False, "unreachable: readers are asked to reload")
    return Check("live events", True, "answering")
