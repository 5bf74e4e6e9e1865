from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "townsquare.live"
    label = "live"
