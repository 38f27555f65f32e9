"""``python -m api.cli``: the ``tanhui`` command."""

from api.cli import main

main()
