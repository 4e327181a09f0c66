#!/usr/bin/env python3
"""Builds jwt-secrets.bin from wallarm/jwt-secrets' jwt.secrets.list (see README.md).

    python3 build.py path/to/jwt.secrets.list > jwt-secrets.bin

Each entry of at least 32 bytes (bouncer refuses shorter secrets by length alone) is hashed
with SHA-256 exactly as written (line ending removed; an entry with surrounding spaces is
listed as written and trimmed). The first 8 bytes of each hash, big-endian, sorted and
without duplicates, are the file: 8 bytes an entry, nothing else.
"""
import hashlib
import sys

MIN_SECRET_BYTES = 32

def entries(path):
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            line = line.rstrip(b"\r")
            for variant in {line, line.strip()}:
                if len(variant) >= MIN_SECRET_BYTES:
                    yield variant

def main():
    prefixes = sorted({hashlib.sha256(e).digest()[:8] for e in entries(sys.argv[1])})
    sys.stdout.buffer.write(b"".join(prefixes))
    print(f"{len(prefixes)} entries", file=sys.stderr)

if __name__ == "__main__":
    main()
