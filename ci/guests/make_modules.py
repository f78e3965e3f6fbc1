#!/usr/bin/env python3
"""Writes the data modules the emulator scenarios hand to guests."""
import random
import sys

out = sys.argv[1]
with open(out + "/module-one.bin", "wb") as f:
    f.write(b"SHOJI-MODULE-ONE" + bytes(100))
with open(out + "/module-two.bin", "wb") as f:
    f.write(bytes((i * 7 + (i >> 8)) & 255 for i in range(65536)))
# Not a kernel of any kind: for the "corrupt module" scenario.
rng = random.Random(7)
with open(out + "/corrupt.bin", "wb") as f:
    f.write(bytes(rng.randrange(256) for _ in range(200000)))
