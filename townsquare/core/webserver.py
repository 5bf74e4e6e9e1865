"""`python -m townsquare.core.webserver ARGS`: granian's command line, as `townsquare serve`
runs it, with every worker process granian forks tied to granian's main process.

Granian's workers outlive its main process: killed (SIGKILL, the out-of-memory killer), it
leaves them running and still listening on the port. Here each worker asks Linux to kill it
when the main process ends (PR_SET_PDEATHSIG).
"""

import multiprocessing
import os
import signal

from granian.cli import entrypoint

from townsquare.core.supervisor import die_with_parent


def tie_workers_to_this_process() -> None:
    # Granian forks its workers unless told to spawn them (Python 3.14's default start
    # method would make it spawn), and only a forked worker runs the hook.
    multiprocessing.set_start_method("fork", force=True)
    main = os.getpid()
    os.register_at_fork(after_in_child=lambda: die_with_parent(main, signal.SIGKILL))


if __name__ == "__main__":
    tie_workers_to_this_process()
    entrypoint()
