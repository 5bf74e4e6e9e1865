"""Read-mostly admin views of the desk's data; editors work on the desk's own pages."""

from django.contrib import admin

from .models import Carrier, Correction, Source, Story


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "feed_url", "category", "interval_minutes", "active",
                    "last_success", "failures", "items_seen")
    list_filter = ("active",)
    search_fields = ("name", "feed_url")
    readonly_fields = ("etag", "last_modified", "next_poll", "polling_since", "last_polled",
                       "last_success", "last_result", "last_error", "last_error_at",
                       "failures", "items_seen")


class CarrierInline(admin.TabularInline):
    model = Carrier
    extra = 0
    fields = ("source", "url", "title", "first_seen", "changed")
    readonly_fields = fields
    can_delete = False


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "created", "publish_at", "topic")
    list_filter = ("status",)
    search_fields = ("title", "url")
    raw_id_fields = ("lead_image", "topic", "category", "edited_by")
    inlines = [CarrierInline]


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("topic", "created", "editor")
    raw_id_fields = ("topic", "editor")
