import sys

from mcmpost.cli import main

sys.exit(main())
