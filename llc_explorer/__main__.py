"""``python -m llc_explorer`` runs the command line."""

import sys

from llc_explorer.cli import main

sys.exit(main())
