"""``python -m resnext_edu.benchmark``: see ``resnext_edu.benchmark.cli``."""

from resnext_edu.benchmark.cli import main

main()
