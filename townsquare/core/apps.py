from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"

    def ready(self):
        from django.urls import register_converter

        from .inputs import IdConverter

        register_converter(IdConverter, "id")
