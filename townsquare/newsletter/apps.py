from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "townsquare.newsletter"
    default_auto_field = "django.db.models.BigAutoField"
