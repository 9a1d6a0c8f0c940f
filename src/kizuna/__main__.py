import sys

from kizuna.cli import main

# Guarded: a child process started with "spawn" (kizuna.shared.worker) imports this module again as
# __mp_main__, and must not run the command line a second time.
if __name__ == "__main__":
    sys.exit(main())
