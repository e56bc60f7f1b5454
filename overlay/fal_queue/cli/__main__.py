"""``python -m fal_queue.cli`` is ``fal-queue``."""

import sys

from fal_queue.cli import main

sys.exit(main())
