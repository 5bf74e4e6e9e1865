from django.core.management.base import BaseCommand, CommandError

from townsquare.reactions.actions import RECOUNT_BATCH, recount_reputation


class Command(BaseCommand):
    help = ("Recompute every member's reputation from the reactions their posts received, "
            "with the current REPUTATION_WEIGHTS (run it after changing them).")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=RECOUNT_BATCH,
                            help=f"members recounted per transaction (default {RECOUNT_BATCH})")

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        done = recount_reputation(batch_size=batch_size)
        self.stdout.write(f"Recounted the reputation of {done} member{'s' if done != 1 else ''}.")
