from django.core.management.base import BaseCommand

from townsquare.demo.loader import DEMO_PASSWORD, load_demo
from townsquare.forum.models import Category


class Command(BaseCommand):
    help = "Load the demo community: categories, members, a news-desk story, replies, reactions."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when the forum already has categories")

    def handle(self, *args, if_empty, **options):
        if if_empty and Category.objects.exists():
            self.stdout.write("The forum already has content; demo not loaded.")
            return
        summary = load_demo()
        self.stdout.write(self.style.SUCCESS(
            f"Demo community loaded: {summary['members']} members, {summary['topics']} topics, "
            f"{summary['posts']} posts. Sign in as any member (e.g. 'mara') or as 'admin' "
            f"with the password '{DEMO_PASSWORD}'."
        ))
