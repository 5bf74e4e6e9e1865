from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "townsquare.forum"
    label = "forum"
