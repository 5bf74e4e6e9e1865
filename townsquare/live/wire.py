"""The event stream's wire format (Server-Sent Events)."""

import json


def sse(event_id: str | None, kind: str, data) -> bytes:
    lines = [f"id: {event_id}"] if event_id else []
    lines.append(f"event: {kind}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()
