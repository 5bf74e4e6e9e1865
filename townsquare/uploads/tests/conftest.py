"""Real images made with Pillow, and a fresh media folder for every test."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its files in its own empty MEDIA_ROOT (inside tmp_path, so that a
    path escaping it has somewhere to point)."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def stored_files(media):
    """Every file in the test's storage, as storage names."""
    def files() -> list[str]:
        return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())

    return files


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
