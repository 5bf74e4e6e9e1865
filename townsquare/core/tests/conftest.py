import io
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture
def unwritable():
    """Make a file or folder unwritable even for root (which file permissions don't stop):
    immutable (chattr +i) as root, read-only permissions otherwise."""
    made = []

    def make(path: Path):
        if os.geteuid() != 0:
            path.chmod(0o555 if path.is_dir() else 0o444)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("this file system can't make a file immutable for root (chattr +i)")
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() != 0:
            path.chmod(0o755 if path.is_dir() else 0o644)
        else:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.fixture
def shared_database(settings, monkeypatch):
    """Settings as with DATABASE_URL naming PostgreSQL (the connection itself stays the
    tests'), and no SECRET_KEY in the environment."""
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.postgresql")
    settings.SECRET_KEY_GIVEN = False


@pytest.fixture
def image_bytes():
    """An encoded image: a colour field with a stripe, so re-encoding has something to keep."""
    def make(fmt="PNG", size=(64, 48), mode="RGB", colour=(200, 80, 40), **save) -> bytes:
        image = Image.new("RGB", size, colour)
        image.paste((20, 40, 160), (0, 0, max(1, size[0] // 4), size[1]))
        if mode != "RGB":
            image = image.convert(mode)
        out = io.BytesIO()
        image.save(out, fmt, **save)
        return out.getvalue()

    return make


@pytest.fixture
def image_file(image_bytes):
    """An uploaded file as a view or action receives it."""
    def make(data: bytes | None = None, name="image.png", **image) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, image_bytes(**image) if data is None else data)

    return make


@pytest.fixture
def bomb_png():
    """A PNG of a few dozen bytes whose header claims `width` x `height` pixels: the pixels
    never exist, so building it allocates nothing."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    def make(width: int, height: int) -> bytes:
        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))

    return make
