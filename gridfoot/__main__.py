"""``python -m gridfoot``: the command line."""

import sys

from gridfoot.cli import main

sys.exit(main())
