from django.core.management.base import BaseCommand, CommandError

from townsquare.uploads.tasks import prune_uploads


class Command(BaseCommand):
    help = "Delete uploaded images that no post has used for a while (files and rows)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24,
                            help="age after which an unused upload is deleted (default 24)")

    def handle(self, *args, hours, **options):
        if hours < 1:
            raise CommandError("--hours must be at least 1.")
        done = prune_uploads.call(hours=hours)
        self.stdout.write(f"Deleted {done['uploads']} unused upload"
                          f"{'s' if done['uploads'] != 1 else ''} and {done['stray_files']} "
                          f"stray file{'s' if done['stray_files'] != 1 else ''}.")
