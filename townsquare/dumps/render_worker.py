"""What an import's rendering processes run. Kept free of model imports: a spawned process
imports this module before Django is set up."""

import os


def start(settings_module: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()


def render_batch(jobs: list[tuple]) -> list[str]:
    from townsquare.core.markup import render_markdown

    return [render_markdown(body, quotes) for body, quotes in jobs]
