from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "townsquare.pages"
    label = "pages"
