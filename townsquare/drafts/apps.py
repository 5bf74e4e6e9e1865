from django.apps import AppConfig


class DraftsConfig(AppConfig):
    name = "townsquare.drafts"
    default_auto_field = "django.db.models.BigAutoField"
