from datetime import timedelta

from django.core.management.base import BaseCommand

from townsquare.uploads.actions import delete_orphan_uploads


class Command(BaseCommand):
    help = "Delete uploaded images that no post has used for a while (files and rows)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24,
                            help="age after which an unused upload is deleted (default 24)")

    def handle(self, *args, hours, **options):
        count = delete_orphan_uploads(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {count} unused upload{'s' if count != 1 else ''}.")
