"""``python -m ocppj_aio.gateway``: the same as ``ocppj gateway``."""

import sys

from .cli import main

sys.exit(main())
