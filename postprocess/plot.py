#!/usr/bin/python3
"""Former entry point, kept for old scripts: forwards to the mcmpost package (postprocess/mcmplot).

usage: /usr/bin/python3 postprocess/plot.py overlaps|scaling|pca FILE [-o PLOT.png]
is `postprocess/mcmplot overlaps|scaling|pca FILE [-o PLOT]` (writes PLOT.png and PLOT.pdf).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcmpost.cli import main  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("overlaps", "scaling", "pca"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
