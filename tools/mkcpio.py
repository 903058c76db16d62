#!/usr/bin/env python3
"""Writes a newc ("070701") cpio archive, byte-for-byte reproducible.

    mkcpio.py OUT DEST=SRC[:MODE] ...

Each DEST (an absolute path inside the archive, e.g. /bin/ktest_user) gets the contents of
the host file SRC with octal MODE (default 755). Parent directories are added (mode 755)
before their contents; entries are sorted; uid/gid/mtime are 0 and inode numbers count from 1,
so the same inputs always give the same archive (the kernel image embeds it). Names are
stored without the leading "/", as `find . | cpio -o -H newc` run in the root would.
"""
import os
import sys


def header(ino, mode, nlink, size, namesize):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, namesize, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def entry(ino, name, mode, nlink, data):
    n = name.encode() + b"\0"
    return pad4(header(ino, mode, nlink, len(data), len(n)) + n) + pad4(data)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out = argv[1]
    files = {}
    for spec in argv[2:]:
        dest, sep, rest = spec.partition("=")
        if not sep or not dest.startswith("/") or dest.endswith("/") or "//" in dest:
            sys.exit(f"mkcpio: bad entry {spec!r}: want /DEST=SRC[:MODE]")
        src, _, mode = rest.partition(":")
        try:
            mode = int(mode or "755", 8)
        except ValueError:
            sys.exit(f"mkcpio: bad mode in {spec!r}")
        if mode & ~0o7777:
            sys.exit(f"mkcpio: bad mode in {spec!r}")
        name = dest.lstrip("/")
        if name in files:
            sys.exit(f"mkcpio: {dest} given twice")
        with open(src, "rb") as f:
            files[name] = (mode, f.read())
    dirs = set()
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    clash = dirs & set(files)
    if clash:
        sys.exit(f"mkcpio: {sorted(clash)[0]} is both a file and a directory")
    out_bytes = bytearray()
    ino = 1
    out_bytes += entry(ino, ".", 0o040755, 2, b"")
    for name in sorted(dirs | set(files)):
        ino += 1
        if name in dirs:
            out_bytes += entry(ino, name, 0o040755, 2, b"")
        else:
            mode, data = files[name]
            out_bytes += entry(ino, name, 0o100000 | mode, 1, data)
    out_bytes += entry(0, "TRAILER!!!", 0, 1, b"")
    # Like GNU cpio, pad the archive to a 512-byte block.
    out_bytes += b"\0" * (-len(out_bytes) % 512)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out_bytes)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
