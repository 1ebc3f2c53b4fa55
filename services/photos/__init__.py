"""Photos (随手拍): uploads attached to problem reports, work-order steps and activities,
cleaned (services.photos.processing), stored in the media store and served through
short-lived signed URLs to those who may see what they are attached to."""
