from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ("username", "email", "role", "post_count", "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "email")
    fieldsets = UserAdmin.fieldsets + (("Community", {"fields": ("role", "bio")}),)
