"""``python -m audioml.book.grading``: see :mod:`audioml.book.grading.cli`."""

import sys

from audioml.book.grading.cli import main

sys.exit(main())
