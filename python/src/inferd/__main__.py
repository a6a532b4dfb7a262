"""python -m inferd convert|verify|quantize|push."""

import sys

from .cli import main

sys.exit(main())
