#!/usr/bin/env python3
"""Writes a newc ("070701") cpio archive, byte-for-byte reproducible: the one cpio writer of
the tree (the initramfs built into the kernel, tools/bench.py's initramfs for Linux).

    mkcpio.py OUT DEST=SRC[:MODE] ...

Each DEST (an absolute path inside the archive, e.g. /bin/ktest_user) gets the contents of
the host file SRC with octal MODE (default 755). Parent directories are added (mode 755)
before their contents; entries are sorted; uid/gid/mtime are 0 and inode numbers count from 1,
so the same inputs always give the same archive (the kernel image embeds it). Names are
stored without the leading "/", as `find . | cpio -o -H newc` run in the root would.

From Python: archive(files, char_devices) returns the same bytes, where files maps DEST to
(MODE, data) and char_devices maps DEST to (MODE, major, minor), e.g. /dev/console; the
optional symlinks maps DEST to its target and dirs maps DEST to a directory's MODE (a directory
with no entries, or one whose mode is not 755, e.g. /tmp's 1777).
"""
import os
import sys

S_IFDIR, S_IFREG, S_IFCHR, S_IFLNK = 0o040000, 0o100000, 0o020000, 0o120000


class CpioError(ValueError):
    pass


def header(ino, mode, nlink, size, namesize, rdev=(0, 0)):
    fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], namesize, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def entry(ino, name, mode, nlink, data, rdev=(0, 0)):
    n = name.encode() + b"\0"
    return pad4(header(ino, mode, nlink, len(data), len(n), rdev) + n) + pad4(data)


def check_dest(dest):
    if not dest.startswith("/") or dest.endswith("/") or "//" in dest:
        raise CpioError(f"bad destination {dest!r}: want an absolute path such as /bin/prog")
    return dest.lstrip("/")


def check_mode(mode, what):
    if not 0 <= mode <= 0o7777:
        raise CpioError(f"bad mode {mode:o} for {what}: permission bits only (at most 7777)")
    return mode


def archive(files, char_devices=None, symlinks=None, dirs=None):
    """The archive's bytes: files {DEST: (mode, data)}, char_devices {DEST: (mode, major, minor)},
    symlinks {DEST: target}, dirs {DEST: mode}."""
    nodes = {}
    for dest, (mode, data) in files.items():
        nodes[check_dest(dest)] = (S_IFREG | check_mode(mode, dest), data, (0, 0))
    for dest, (mode, major, minor) in (char_devices or {}).items():
        name = check_dest(dest)
        if name in nodes:
            raise CpioError(f"{dest} given twice")
        if not (0 <= major < 1 << 32 and 0 <= minor < 1 << 32):
            raise CpioError(f"bad device number {major}:{minor} for {dest}")
        nodes[name] = (S_IFCHR | check_mode(mode, dest), b"", (major, minor))
    for dest, target in (symlinks or {}).items():
        name = check_dest(dest)
        if name in nodes:
            raise CpioError(f"{dest} given twice")
        if not target or "\0" in target:
            raise CpioError(f"bad symlink target {target!r} for {dest}")
        nodes[name] = (S_IFLNK | 0o777, target.encode(), (0, 0))
    dir_modes = {}
    for dest, mode in (dirs or {}).items():
        name = check_dest(dest)
        if name in nodes:
            raise CpioError(f"/{name} is both a file and a directory")
        dir_modes[name] = check_mode(mode, dest)
    dirs = set(dir_modes)
    for name in nodes:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    clash = dirs & set(nodes)
    if clash:
        raise CpioError(f"/{sorted(clash)[0]} is both a file and a directory")
    out = bytearray()
    ino = 1
    out += entry(ino, ".", S_IFDIR | 0o755, 2, b"")
    for name in sorted(dirs | set(nodes)):
        ino += 1
        if name in dirs:
            out += entry(ino, name, S_IFDIR | dir_modes.get(name, 0o755), 2, b"")
        else:
            mode, data, rdev = nodes[name]
            out += entry(ino, name, mode, 1, data, rdev)
    out += entry(0, "TRAILER!!!", 0, 1, b"")
    # Like GNU cpio, pad the archive to a 512-byte block.
    out += b"\0" * (-len(out) % 512)
    return bytes(out)


def write(out, data):
    """Writes through a temporary file: no half-written archive survives a failure."""
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out = argv[1]
    files = {}
    try:
        for spec in argv[2:]:
            dest, sep, rest = spec.partition("=")
            if not sep:
                raise CpioError(f"bad entry {spec!r}: want /DEST=SRC[:MODE]")
            src, _, mode = rest.partition(":")
            try:
                mode = int(mode or "755", 8)
            except ValueError:
                raise CpioError(f"bad mode in {spec!r}") from None
            if dest in files:
                raise CpioError(f"{dest} given twice")
            with open(src, "rb") as f:
                files[dest] = (mode, f.read())
        data = archive(files)
    except (CpioError, OSError) as e:
        sys.exit(f"mkcpio: {e}")
    write(out, data)


if __name__ == "__main__":
    main(sys.argv)
