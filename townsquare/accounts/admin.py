from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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
