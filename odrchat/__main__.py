"""`python -m odrchat` is the `odrchat` command."""

from __future__ import annotations

import sys

from odrchat.cli import main

sys.exit(main())
