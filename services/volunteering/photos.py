"""Photos of a volunteer activity (活动照片), added by its organisers."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from services.errors import Forbidden
from services.kit.auth import Actor, require_actor
from services.models import Photo
from services.photos import attachments
from services.photos.processing import PhotoUpload
from services.volunteering.activities import get_activity, lock_activity, organises, team_of


async def add_activity_photos(
    *, actor: Actor | None, activity_id: int, photos: Sequence[PhotoUpload]
) -> list[Photo]:
    """Add photos to an activity (its organisers: whoever created it, its team's leader, the
    admins of its area); at most max_photos on one activity. Returns the new photos."""
    actor = require_actor(actor)
    activity = await get_activity(activity_id)
    if not organises(actor, activity, await team_of(activity)):
        raise Forbidden("The organisers add photos to an activity.", field="activityId")
    already = await Photo.filter(activity_id=activity.id).count()
    cleaned = await attachments.prepare(photos, already=already)
    async with attachments.saved(cleaned) as written, in_transaction():
        # The activity's row first: two additions at once count each other's photos.
        await lock_activity(activity.id)
        already = await Photo.filter(activity_id=activity.id).count()
        attachments.check_count(len(written), already=already)
        return await attachments.record(
            written, uploaded_by=actor.person_id, activity_id=activity.id, first_position=already
        )
