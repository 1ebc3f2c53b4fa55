"""Turning an uploaded photo into what is stored: read with a size limit, the type sniffed
from the bytes (never the client's name or content type), decoded with a pixel limit, turned
upright (EXIF orientation), re-encoded as JPEG without any metadata (no EXIF, GPS, XMP, IPTC,
comments; colours converted to sRGB and no profile kept), and a thumbnail made."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, ImageCms, ImageOps

from services.errors import InvalidInput
from services.kit.settings import get_settings

CHUNK = 64 * 1024
CONTENT_TYPE = "image/jpeg"
QUALITY = 85
THUMBNAIL_QUALITY = 80
# What the sniffed type must decode as (a PNG signature on a JPEG body is refused).
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
_SRGB = ImageCms.createProfile("sRGB")


class PhotoUpload(Protocol):
    """An uploaded file as the transport hands it over (starlette's UploadFile is one)."""

    async def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (b"" at the end)."""
        ...


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: the clean JPEG, its thumbnail, and the upright size."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int
    content_type: str = CONTENT_TYPE


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce (JPEG, PNG or WebP), None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


async def read_limited(upload: PhotoUpload, *, field: str = "photos") -> bytes:
    """All the upload's bytes, read in chunks: refused as soon as it passes max_photo_bytes
    (so an oversized upload is never held whole)."""
    limit = get_settings().max_photo_bytes
    seek = getattr(upload, "seek", None)
    if seek is not None:
        # one file given at two places of a request is one upload: read it from the start
        await seek(0)
    chunks: list[bytes] = []
    total = 0
    while chunk := await upload.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise InvalidInput(f"A photo is at most {limit} bytes.", field=field)
        chunks.append(chunk)
    return b"".join(chunks)


def _to_srgb(image: Image.Image) -> Image.Image:
    """The image in RGB: an embedded colour profile converted to sRGB (then dropped), alpha
    laid on white (JPEG has no transparency)."""
    icc = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode.startswith("I"):
        # 16- or 32-bit grey (I;16 PNGs from scanners): scaled to 8 bits, not clipped to white.
        top = 65535 if image.mode.startswith("I;16") else max(image.getextrema()[1], 1)
        image = image.convert("I").point(lambda value: value * 255 / top).convert("L")
        image = image.convert("RGB")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a broken profile: keep the pixels as they are
        if converted is not None:
            image = converted
    return image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    # The image's info dict is emptied before (`_decode`): save() writes no EXIF, XMP, ICC or
    # comment unless asked, and nothing here asks.
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _fit(size: tuple[int, int], side: int) -> tuple[int, int] | None:
    """`size` scaled so that its long side is `side`; None when it fits already."""
    if max(size) <= side:
        return None
    scale = side / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _decode(data: bytes, kind: str, *, field: str, draft_side: int | None = None) -> Image.Image:
    """The photo decoded (the pixel limit checked from the header first), upright, in sRGB,
    with an empty info dict (no EXIF, XMP, comments or ICC travel on). `draft_side`: a JPEG
    is decoded at the smallest scale (1/2, 1/4, 1/8) that keeps its long side at least that
    (Image.draft: the DCT scaling of libjpeg, so the full-size pixels are never made).

    One full-size copy at a time, but for the step that makes the next (a rotation, a colour
    conversion): each result replaces the image it was made from."""
    settings = get_settings()
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard warns (then raises) on huge images: both are refusals.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[_FORMATS[kind]])
            # From the header alone: nothing is decoded yet.
            if image.width * image.height > settings.max_photo_pixels:
                raise InvalidInput(
                    f"A photo has at most {settings.max_photo_pixels} pixels.", field=field
                )
            if draft_side is not None:
                request = _fit(image.size, draft_side)
                if request is not None:
                    image.draft(None, request)
            image.load()
            # In place: the rotated pixels replace the decoded ones (no copy when upright).
            ImageOps.exif_transpose(image, in_place=True)
            image = _to_srgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidInput(
            f"A photo has at most {settings.max_photo_pixels} pixels.", field=field
        ) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        # Pillow's UnidentifiedImageError is an OSError; a truncated file fails in load().
        raise InvalidInput(
            "The photo could not be read (damaged or cut short).", field=field
        ) from (error)
    # The pixels only from here on: EXIF (GPS), XMP, comments and the colour profile are
    # dropped with the dict that holds them (the JPEG encoder reads comments from it).
    image.info = {}
    return image


def process(data: bytes, *, field: str = "photos") -> ProcessedPhoto:
    """Check and clean one photo's bytes (JPEG, PNG or WebP; InvalidInput otherwise): upright,
    stripped of all metadata, re-encoded as JPEG, with a thumbnail of photo_thumbnail_px on its
    long side. Decoding is CPU work: call it off the event loop (see services.photos).

    Memory: one full-size image at a time (bench/photos.py measures it). A JPEG's thumbnail is
    decoded again at a reduced scale once the full-size one is encoded and dropped."""
    kind = sniff(data[:16])
    if kind is None:
        raise InvalidInput("Photos are JPEG, PNG or WebP images.", field=field)
    side = get_settings().photo_thumbnail_px
    image = _decode(data, kind, field=field)
    width, height = image.size
    size = _fit(image.size, side)
    if size is None:
        thumbnail = image
        clean = _jpeg(image, QUALITY)
    elif kind == "image/jpeg":
        clean = _jpeg(image, QUALITY)
        del image
        # Twice the thumbnail's size before the last resize, as Image.thumbnail's reducing_gap.
        small = _decode(data, kind, field=field, draft_side=2 * side)
        thumbnail = small.resize(size, Image.Resampling.LANCZOS)
    else:
        thumbnail = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        clean = _jpeg(image, QUALITY)
    return ProcessedPhoto(
        data=clean,
        thumbnail=_jpeg(thumbnail, THUMBNAIL_QUALITY),
        width=width,
        height=height,
    )
