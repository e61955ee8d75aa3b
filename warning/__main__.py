"""``python -m warning`` is the same as the ``warning`` command."""

from .cli import run

run()
