#!/usr/bin/python3
"""imgcheck.py PNG...: each PNG is a real plot, not a blank or broken image.

Decodes the image with matplotlib and requires, inside the central 80 % of the image where
the axes are, (1) at least 2000 pixels that are not the background (the most common colour),
(2) at least 40 distinct colours and (3) at least 300 coloured pixels (channels differing by
more than 0.15: data lines, bands and markers; frames, grids and text are grey). Empty axes
(frames, grid and tick labels only) fail (3); a blank or truncated file fails to decode. Also checks that the PDF next to each PNG starts with %PDF.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

MIN_INK, MIN_COLOURS, MIN_CHROMA = 2000, 40, 300


def check(path):
    img = mpimg.imread(path)
    if img.ndim != 3 or img.shape[0] < 200 or img.shape[1] < 200:
        return "%s: not a plot-sized RGB image (%s)" % (path, img.shape)
    h, w = img.shape[:2]
    core = img[h // 10: h - h // 10, w // 10: w - w // 10, :3]
    px = np.round(core.reshape(-1, 3) * 255).astype(np.int64)
    codes = px[:, 0] * 65536 + px[:, 1] * 256 + px[:, 2]
    vals, counts = np.unique(codes, return_counts=True)
    bg = vals[np.argmax(counts)]
    ink = int((codes != bg).sum())
    chroma = int(((core.max(axis=2) - core.min(axis=2)) > 0.15).sum())
    if ink < MIN_INK or len(vals) < MIN_COLOURS or chroma < MIN_CHROMA:
        return "%s: looks empty (%d non-background pixels, %d colours, %d coloured; need %d, %d, %d)" % (
            path, ink, len(vals), chroma, MIN_INK, MIN_COLOURS, MIN_CHROMA)
    pdf = os.path.splitext(path)[0] + ".pdf"
    with open(pdf, "rb") as f:
        if f.read(4) != b"%PDF":
            return "%s: not a PDF" % pdf
    print("%s: %dx%d, %d non-background pixels, %d colours, %d coloured" % (
        path, w, h, ink, len(vals), chroma))
    return None


def main():
    errs = [e for e in (check(p) for p in sys.argv[1:]) if e]
    for e in errs:
        print(e, file=sys.stderr)
    return 1 if errs or len(sys.argv) < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
