from django.contrib import admin

from .models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("file", "owner", "width", "height", "bytes", "post", "created")
    raw_id_fields = ("owner", "post")
    readonly_fields = ("file", "thumbnail", "width", "height", "bytes", "format", "sha256")
