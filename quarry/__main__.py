import sys

from quarry.cli.main import main

sys.exit(main())
