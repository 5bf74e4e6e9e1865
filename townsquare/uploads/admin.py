from django.contrib import admin

from . import actions
from .models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ("file", "owner", "width", "height", "bytes", "format", "post", "created")
    list_filter = ("format", ("post", admin.EmptyFieldListFilter))
    search_fields = ("file", "owner__username", "sha256")
    raw_id_fields = ("owner", "post")
    readonly_fields = ("owner", "file", "thumbnail", "width", "height", "bytes", "format",
                       "sha256", "created")

    def has_add_permission(self, request):
        return False  # images come in through store_image, which checks and re-encodes them

    # Deleting here goes through the action, so the files go with the row.
    def delete_model(self, request, obj):
        actions.delete_upload(upload=obj)

    def delete_queryset(self, request, queryset):
        for upload in queryset:
            actions.delete_upload(upload=upload)
