# Real images, pixel bombs and a fresh media folder per test: the uploads app's own fixtures,
# since avatars go through the same checks.
from townsquare.uploads.tests.conftest import (  # noqa: F401
    bomb_png,
    image_bytes,
    image_file,
    media,
    stored_files,
)
