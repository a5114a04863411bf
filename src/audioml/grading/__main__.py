"""``python -m audioml.grading``: see :mod:`audioml.grading.cli`."""
import sys

from audioml.grading.cli import main

sys.exit(main())
