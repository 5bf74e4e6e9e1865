from django.contrib import admin

from .models import ScheduledBackup


@admin.register(ScheduledBackup)
class ScheduledBackupAdmin(admin.ModelAdmin):
    """The worker's daily backups: when each was taken, into which folder, or why not."""

    list_display = ("period", "started", "finished", "folder", "error")
    readonly_fields = [f.name for f in ScheduledBackup._meta.fields]

    def has_add_permission(self, request):
        return False  # queued by the worker's clock
