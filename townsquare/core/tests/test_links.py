import pytest
from django.urls import reverse

from townsquare.core.links import url_for


@pytest.mark.parametrize(("name", "args"), [
    ("topic", (12, "a-slug")), ("category", (3, "news")), ("post", (99,)),
    ("member", ("ana",)), ("member", ("odd name+@é?#%",)), ("post_react", (7,)),
])
def test_url_for_matches_reverse(name, args):
    assert url_for(name, *args) == reverse(name, args=args)
