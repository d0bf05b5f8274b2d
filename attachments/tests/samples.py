"""Real files, made here: each starts as its format requires, which is what detection reads."""

import base64
import secrets
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart


def png(width: int = 1, height: int = 1, *, padding: int = 0) -> bytes:
    """A valid PNG (one grey pixel by default); ``padding`` bytes of a private chunk make it
    as large as a test needs while staying a PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    extra = chunk(b"prVt", b"\x00" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def png_of_size(size: int) -> bytes:
    """A valid PNG of exactly ``size`` bytes."""
    return png(padding=size - len(png()) - 12)  # 12: the private chunk's length, type, CRC


# A JPEG: start of image, a JFIF APP0 segment, end of image.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"

# The smallest well-formed GIF: one transparent pixel.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n"
    b"%%EOF\n"
)

# An ISO-BMFF file whose brand is HEIC, as iPhones write photos.
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64

# A Windows program: the "MZ" header and a PE signature where the header points.
EXE = b"MZ\x90\x00" + b"\x00" * 56 + struct.pack("<I", 64) + b"PE\x00\x00" + b"\x00" * 64

SVG = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>\n'
)

HTML = b"<!DOCTYPE html><html><script>fetch('/api/conversations')</script></html>\n"


# Files as the two send endpoints take them (used by both channels' tests).


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    """A file as a browser's form carries it (its declared type is not trusted)."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def post_form(client, path: str, data: dict, *, headers: dict | None = None):
    """POST ``data`` to ``path`` as a browser's multipart form: its own random boundary
    each time, as browsers do."""
    boundary = f"----WebKitFormBoundary{secrets.token_urlsafe(12)}"
    return client.post(
        path,
        encode_multipart(boundary, data),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers or {},
    )


def encoded(name: str, content: bytes, content_type: str = "application/octet-stream") -> dict:
    """A file as JSON carries it: its bytes in base64."""
    return {
        "filename": name,
        "content_type": content_type,
        "content": base64.b64encode(content).decode(),
    }


def body_of(response) -> bytes:
    """The bytes of a streamed file response."""
    return b"".join(response.streaming_content)
