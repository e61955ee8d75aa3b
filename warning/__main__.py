"""``python -m warning`` is the same as the ``warning`` command."""

import sys

from .cli import main

sys.exit(main())
