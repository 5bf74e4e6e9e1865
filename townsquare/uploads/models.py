from django.conf import settings
from django.db import models


class Upload(models.Model):
    """An image a member uploaded, re-encoded; attached to a post once a post uses it."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="uploads")
    # Storage names, content-hashed, so a stored file never changes under its name.
    file = models.CharField(max_length=255, unique=True)
    thumbnail = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    bytes = models.PositiveIntegerField()
    format = models.CharField(max_length=8)
    sha256 = models.CharField(max_length=64)
    created = models.DateTimeField(auto_now_add=True)
    post = models.ForeignKey("forum.Post", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="uploads")

    class Meta:
        indexes = [models.Index(fields=["post", "created"], name="upload_orphans"),
                   # The file server looks a thumbnail's post up by its name.
                   models.Index(fields=["thumbnail"], name="upload_thumbnail")]

    def __str__(self):
        return self.file

    @property
    def url(self) -> str:
        return f"{settings.MEDIA_URL}{self.file}"

    @property
    def thumbnail_url(self) -> str:
        return f"{settings.MEDIA_URL}{self.thumbnail}"
