import sys

from fitscore_core.cli import main

sys.exit(main())
