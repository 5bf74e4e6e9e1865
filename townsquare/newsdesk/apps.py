from django.apps import AppConfig


class NewsdeskConfig(AppConfig):
    name = "townsquare.newsdesk"
    verbose_name = "News desk"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from townsquare.uploads.actions import HOLDERS

        from .queries import uploads_in_stories

        # Images in stories not yet published are kept by the uploads' prune.
        HOLDERS.append(uploads_in_stories)
