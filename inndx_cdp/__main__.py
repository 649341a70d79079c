"""``python -m inndx_cdp serve``."""

import sys

from .cli import main

sys.exit(main())
