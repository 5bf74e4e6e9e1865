import pytest

from townsquare.live import events, presence
from townsquare.live.hub import hub


@pytest.fixture(autouse=True)
def _fresh_hub():
    """No test inherits another's stream readers or event log clients."""
    hub.__init__()
    events._logs.clear()
    presence._backends.clear()
    yield
    hub.__init__()
    events._logs.clear()
    presence._backends.clear()
