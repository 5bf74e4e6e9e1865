from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import live
from .actions_access import set_member_active, set_member_role
from .models import User


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "display_name", "email", "role", "post_count", "reputation",
                    "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "display_name", "email")
    fieldsets = UserAdmin.fieldsets + (
        ("Community", {"fields": ("role", "display_name", "location", "bio", "reputation",
                                  "avatar")}),
    )
    # Kept by the reactions' actions and `townsquare recount_reputation`; the avatar's files
    # by the profile page (an edit here would leave files behind or point at none).
    readonly_fields = ("reputation", "avatar")

    def save_model(self, request, obj, form, change):
        role, active = obj.role, obj.is_active
        if change:  # what the member may read is the actions' to write: they tell the streams
            obj.role = form.initial.get("role", role)
            obj.is_active = form.initial.get("is_active", active)
        super().save_model(request, obj, form, change)
        if change:
            set_member_role(by=request.user, member=obj, role=role)
            set_member_active(by=request.user, member=obj, active=active)
            if "is_superuser" in form.changed_data:  # a superuser has every role
                live.publish_member_access(obj)
