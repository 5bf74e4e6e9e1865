from django.apps import AppConfig


class ReactionsConfig(AppConfig):
    name = "townsquare.reactions"
    label = "reactions"
