"""python3 -m d1testnode: run the stand-in DataONE node."""

import sys

from .cli import main

sys.exit(main())
