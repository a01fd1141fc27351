#!/usr/bin/python3
"""Markdown table of every configuration key from input/reference.ini (for README.md), or with
--check README.md: exit 1 unless README mentions every key as `section.key`."""
import re
import sys


def keys(path):
    out, section, comments = [], None, []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("[") and line.endswith("]"):
            section, comments = line[1:-1], []
        elif line.startswith("#"):
            comments.append(line[1:].strip())
        elif "=" in line and section:
            k, v = (s.strip() for s in line.split("=", 1))
            helptext = " ".join(c for c in comments if not c.startswith("(") and not c.startswith("-"))
            meta = " ".join(c for c in comments if c.startswith("("))
            out.append((section + "." + k, v, helptext, meta.strip("()")))
            comments = []
        elif not line.strip():
            comments = []
    return out


if __name__ == "__main__":
    ref = sys.argv[sys.argv.index("--ref") + 1] if "--ref" in sys.argv else "input/reference.ini"
    if "--check" in sys.argv:
        readme = open(sys.argv[sys.argv.index("--check") + 1]).read()
        missing = [k for k, *_ in keys(ref) if "`%s`" % k not in readme]
        if missing:
            sys.exit("README.md lacks keys: " + ", ".join(missing))
    else:
        print("| key | default | meaning | type, range, restart |\n|---|---|---|---|")
        for k, v, h, m in keys(ref):
            print("| `%s` | `%s` | %s | %s |" % (k, v, h.replace("|", "/"), m.replace("|", "/")))
