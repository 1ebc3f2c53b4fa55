"""Cleaning an uploaded photo: the type from the bytes, limits, EXIF/GPS gone, upright,
thumbnail."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from services.errors import InvalidInput
from services.kit.settings import get_settings
from services.photos.processing import process, read_limited, sniff
from tests.services.photos.images import ROTATED_90_CW, encoded, jpeg, opened


class Chunks:
    """An upload read in pieces (as starlette's UploadFile), counting what was read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    async def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.position + size
        chunk = self.data[self.position : end]
        self.position += len(chunk)
        return chunk


class TestSniff:
    def test_jpeg_png_and_webp_are_known_by_their_bytes(self) -> None:
        assert sniff(jpeg()[:16]) == "image/jpeg"
        assert sniff(encoded("PNG")[:16]) == "image/png"
        assert sniff(encoded("WEBP")[:16]) == "image/webp"

    def test_anything_else_is_unknown(self) -> None:
        assert sniff(encoded("GIF")[:16]) is None
        assert sniff(b"hello, this is text") is None
        assert sniff(b"RIFF\x00\x00\x00\x00WAVE") is None
        assert sniff(b"") is None


class TestProcess:
    @pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
    def test_png_and_webp_become_clean_jpeg(self, fmt: str) -> None:
        photo = process(encoded(fmt, (40, 30)))
        assert photo.content_type == "image/jpeg"
        assert (photo.width, photo.height) == (40, 30)
        assert opened(photo.data).format == "JPEG"

    def test_a_16_bit_grey_png_is_scaled_not_clipped(self) -> None:
        # a 50 % grey 16-bit PNG (scanners write them) stays grey, not white
        image = Image.new("I;16", (8, 8), 32768)
        out = io.BytesIO()
        image.save(out, format="PNG")
        photo = process(out.getvalue())
        red, green, blue = opened(photo.data).convert("RGB").getpixel((4, 4))  # type: ignore[misc]
        assert all(abs(channel - 128) <= 3 for channel in (red, green, blue))

    def test_transparency_is_laid_on_white(self) -> None:
        photo = process(encoded("PNG", (8, 8), mode="RGBA"))
        assert opened(photo.data).mode == "RGB"

    def test_gps_exif_and_xmp_are_stripped(self) -> None:
        given = jpeg()
        original = opened(given)
        assert original.getexif().get_ifd(0x8825)  # the GPS IFD is there before
        assert b"secret-place" in given and b"GridCam" in given

        photo = process(given)

        for data in (photo.data, photo.thumbnail):
            clean = opened(data)
            assert len(clean.getexif()) == 0
            assert "exif" not in clean.info and "xmp" not in clean.info
            assert "icc_profile" not in clean.info
            assert b"Exif" not in data and b"secret-place" not in data and b"GridCam" not in data

    def test_the_exif_orientation_is_applied(self) -> None:
        # Stored 64 wide and 32 high, shot with the camera turned: upright it is 32 x 64.
        photo = process(jpeg((64, 32), orientation=ROTATED_90_CW))
        assert (photo.width, photo.height) == (32, 64)
        assert opened(photo.data).size == (32, 64)

    def test_the_thumbnail_fits_the_long_side(self) -> None:
        photo = process(jpeg((1000, 500), gps=False))
        assert (photo.width, photo.height) == (1000, 500)
        side = get_settings().photo_thumbnail_px
        assert opened(photo.thumbnail).size == (side, side // 2)

    def test_a_small_photo_is_not_enlarged(self) -> None:
        photo = process(jpeg((50, 20), gps=False))
        assert opened(photo.thumbnail).size == (50, 20)

    @pytest.mark.parametrize(
        "data",
        [
            encoded("GIF"),
            b"just some text, not a photo",
            b"",
            jpeg()[:200],  # cut short
            b"\x89PNG\r\n\x1a\n" + jpeg()[3:],  # a PNG signature on something else
        ],
        ids=["gif", "text", "empty", "truncated", "disguised"],
    )
    def test_other_or_broken_files_are_refused(self, data: bytes) -> None:
        with pytest.raises(InvalidInput) as refused:
            process(data)
        assert refused.value.field == "photos"

    def test_too_many_pixels_are_refused_before_decoding(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "max_photo_pixels", 10_000)
        process(jpeg((100, 100), gps=False))  # exactly at the limit
        with pytest.raises(InvalidInput) as refused:
            process(jpeg((101, 100), gps=False))
        assert "pixels" in refused.value.message

    def test_no_pixel_is_decoded_for_a_photo_over_the_limit(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a pixel limit, and every decode counted
        monkeypatch.setattr(get_settings(), "max_photo_pixels", 10_000)
        given = jpeg((101, 100), gps=False)
        loads: list[tuple[int, int]] = []
        load = ImageFile.ImageFile.load

        def counted(image: ImageFile.ImageFile) -> object:
            loads.append(image.size)
            return load(image)

        monkeypatch.setattr(ImageFile.ImageFile, "load", counted)
        # when a photo over it comes, then it is refused from its header alone
        with pytest.raises(InvalidInput):
            process(given)
        assert loads == []

    def test_a_large_jpeg_thumbnail_is_decoded_at_a_reduced_scale(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a 2400 x 1200 JPEG shot turned (upright 1200 x 2400), and every draft recorded
        drafts: list[tuple[int, int]] = []
        draft = JpegImagePlugin.JpegImageFile.draft

        def recorded(
            image: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
        ) -> object:
            result = draft(image, mode, size)
            drafts.append(image.size)
            return result

        monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", recorded)
        photo = process(jpeg((2400, 1200), orientation=ROTATED_90_CW))
        # then the thumbnail was decoded at half the size (the smallest keeping twice its side)
        side = get_settings().photo_thumbnail_px
        assert drafts == [(1200, 600)]
        # and it is upright, fits the side, has the colour and none of the metadata
        thumbnail = opened(photo.thumbnail)
        assert thumbnail.size == (side // 2, side)
        red, green, blue = thumbnail.getpixel((side // 4, side // 2))  # type: ignore[misc]
        assert abs(red - 200) < 8 and green < 40 and blue < 40
        assert b"secret-place" not in photo.thumbnail and b"GridCam" not in photo.thumbnail
        assert (photo.width, photo.height) == (1200, 2400)

    def test_a_comment_and_a_colour_profile_are_not_kept(self) -> None:
        # given a JPEG with a comment and an embedded (sRGB) profile
        out = io.BytesIO()
        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        Image.new("RGB", (800, 400), (10, 120, 200)).save(
            out, format="JPEG", comment=b"secret-comment", icc_profile=profile
        )
        given = out.getvalue()
        assert b"secret-comment" in given
        # when it is processed, then neither is in the photo or the thumbnail
        photo = process(given)
        for data in (photo.data, photo.thumbnail):
            clean = opened(data)
            assert b"secret-comment" not in data
            assert "comment" not in clean.info and "icc_profile" not in clean.info


class TestReadLimited:
    async def test_reads_everything_within_the_limit(self) -> None:
        data = jpeg((300, 300))
        assert await read_limited(Chunks(data)) == data

    async def test_stops_reading_past_the_limit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(get_settings(), "max_photo_bytes", 100_000)
        upload = Chunks(b"\xff\xd8\xff" + b"\x00" * 1_000_000)
        with pytest.raises(InvalidInput) as refused:
            await read_limited(upload)
        assert refused.value.field == "photos"
        # refused after the chunk that passed the limit, not after the whole upload
        assert upload.position < 200_000
