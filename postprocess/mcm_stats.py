#!/usr/bin/python3
"""Former entry point, kept for old scripts: forwards to the mcmpost package (postprocess/mcmplot).

usage: /usr/bin/python3 postprocess/mcm_stats.py OUTPUT.h5 [-o PLOT.png] [--task K]
is `postprocess/mcmplot stats OUTPUT.h5 [-o PLOT] [--task K]` (writes PLOT.png and PLOT.pdf).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcmpost.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["stats"] + sys.argv[1:]))
