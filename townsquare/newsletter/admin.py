from django.contrib import admin

from .models import Delivery, Digest, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "member", "created", "confirmed",
                    "unsubscribed")
    list_filter = ("status", "frequency")
    search_fields = ("email", "member__username")
    raw_id_fields = ("member",)
    # The keys sign the links in emails; the status changes through the links (double
    # opt-in), not here.
    exclude = ("confirm_nonce", "manage_key")
    readonly_fields = ("email", "status", "created", "confirmation_sent", "confirmed",
                       "unsubscribed")

    def has_add_permission(self, request):
        return False  # addresses come in through the double opt-in only


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "recipients", "sent", "failed", "unknown", "created",
                    "finished")
    list_filter = ("frequency", "status")
    readonly_fields = [f.name for f in Digest._meta.fields]

    def has_add_permission(self, request):
        return False  # made by the clock or the desk's "Send a digest now"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("digest", "subscriber", "status", "attempted", "error")
    list_filter = ("status",)
    search_fields = ("subscriber__email",)
    raw_id_fields = ("digest", "subscriber")
    readonly_fields = ("digest", "subscriber", "status", "attempted", "error")

    def has_add_permission(self, request):
        return False
