"""Small images built with Pillow for the photo tests: JPEG with GPS EXIF and an orientation,
PNG, WebP, GIF."""

from __future__ import annotations

import io

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

# EXIF orientation 6: the camera was turned; the picture must be rotated 90° clockwise.
ROTATED_90_CW = 6


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    """An EXIF block with a camera make, a GPS position (Beijing) and maybe an orientation."""
    exif = Image.Exif()
    exif[Base.Make] = "GridCam"
    exif[Base.Model] = "Probe 1"
    if orientation is not None:
        exif[Base.Orientation] = orientation
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef] = "N"
    gps[GPS.GPSLatitude] = (39.0, 54.0, 27.0)
    gps[GPS.GPSLongitudeRef] = "E"
    gps[GPS.GPSLongitude] = (116.0, 23.0, 27.0)
    return exif


def jpeg(
    size: tuple[int, int] = (64, 32),
    *,
    orientation: int | None = None,
    gps: bool = True,
    color: tuple[int, int, int] = (200, 30, 30),
) -> bytes:
    """A JPEG (with GPS EXIF and an XMP packet unless `gps` is false)."""
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if gps:
        xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-place</x:xmpmeta>'
        image.save(out, format="JPEG", exif=exif_with_gps(orientation), xmp=xmp)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def encoded(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    """An image in `fmt` (PNG, WEBP, GIF)."""
    image = Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    """The decoded image (loaded)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
