# Real images (core's), and a fresh media folder per test and a storage that is not local
# files, as a bucket (the uploads app's).
from townsquare.core.tests.conftest import image_bytes, image_file  # noqa: F401
from townsquare.uploads.tests.conftest import bucket, media  # noqa: F401
