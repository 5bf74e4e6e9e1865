from django.apps import AppConfig


class DumpsConfig(AppConfig):
    name = "townsquare.dumps"
    label = "dumps"
    verbose_name = "Import, export and backups"
