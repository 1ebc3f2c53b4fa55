"""Photos (随手拍): uploads attached to problem reports, work-order steps and activities,
cleaned (services.photos.processing), stored in the media store and served through
short-lived signed URLs to those who may see what they are attached to."""

from services.photos.attachments import (
    PHOTOS_LIMIT,
    PhotoLinks,
    links,
    photos_of_activities,
    photos_of_orders,
    photos_of_steps,
)
from services.photos.processing import PhotoUpload

__all__ = [
    "PHOTOS_LIMIT",
    "PhotoLinks",
    "PhotoUpload",
    "links",
    "photos_of_activities",
    "photos_of_orders",
    "photos_of_steps",
]
