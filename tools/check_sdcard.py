#!/usr/bin/env python3
"""Checks an SD card image made by tools/mksdcard.sh, without root or loop devices.

    tools/check_sdcard.py <sdcard.img> <rpi3b|rpi4b> [--extract DIR] [--firmware DIR]

Reads the MBR in Python, the FAT32 partition through mtools ("image@@offset"), and prints one
KTAP line per check ("ok N - ..." / "not ok N - ..."). Exits 1 if any check failed, 2 on bad
usage. --extract copies config.txt, cmdline.txt, kernel8.img, the DTB and the initrd (if any)
into DIR so that a test can boot them under QEMU. --firmware compares the firmware files
byte for byte with those in DIR.
"""

import argparse
import os
import struct
import subprocess
import sys
import tempfile

SECTOR = 512
PART_START_LBA = 2048  # 1 MiB
FAT32_LBA_TYPE = 0x0C

BOARDS = {
    "rpi3b": {
        "firmware": ["bootcode.bin", "start.elf", "fixup.dat"],
        "soc": "brcm,bcm2837",
        "disk_id": 0x52506933,  # MBR disk signature = FAT volume serial; one per board
        "config": {"core_freq": "250", "core_freq_min": "250"},
    },
    "rpi4b": {
        "firmware": ["start4.elf", "fixup4.dat"],
        "soc": "brcm,bcm2711",
        "disk_id": 0x52506934,
        "config": {"core_freq": "500", "core_freq_min": "500", "enable_gic": "1"},
    },
}
COMMON_CONFIG = {"arm_64bit": "1", "kernel": "kernel8.img", "enable_uart": "1"}


class Ktap:
    def __init__(self):
        self.results = []

    def check(self, cond, name, diag=None):
        self.results.append((bool(cond), name, diag))
        return bool(cond)

    def report(self):
        print("KTAP version 1")
        print(f"1..{len(self.results)}")
        for i, (ok, name, diag) in enumerate(self.results, 1):
            if not ok and diag:
                for line in str(diag).splitlines():
                    print(f"# {line}")
            print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        failed = sum(1 for ok, _, _ in self.results if not ok)
        print(f"# sdcard: {len(self.results) - failed} passed, {failed} failed")
        return failed


def disk_id(data):
    """The MBR disk signature (Linux's PARTUUID prefix, sfdisk's label-id)."""
    return struct.unpack_from("<I", data, 440)[0]


def parse_mbr(data):
    """Returns (signature_ok, [(index, boot_flag, type, start_lba, sectors)]) of used slots."""
    if len(data) < SECTOR:
        return False, []
    sig_ok = data[510:512] == b"\x55\xaa"
    parts = []
    for i in range(4):
        e = data[446 + 16 * i: 446 + 16 * (i + 1)]
        boot, ptype = e[0], e[4]
        start, count = struct.unpack_from("<II", e, 8)
        if ptype != 0 or start != 0 or count != 0:
            parts.append((i + 1, boot, ptype, start, count))
    return sig_ok, parts


def parse_fat32_bpb(sector):
    """The fields of a FAT32 boot sector that a boot ROM relies on."""
    bps, spc, reserved, nfats = struct.unpack_from("<HBHB", sector, 11)
    hidden, total32 = struct.unpack_from("<II", sector, 28)
    fatsz32 = struct.unpack_from("<I", sector, 36)[0]
    return {
        "bytes_per_sector": bps,
        "sectors_per_cluster": spc,
        "reserved": reserved,
        "fats": nfats,
        "hidden": hidden,
        "total": total32,
        "fatsz32": fatsz32,
        "fstype": sector[82:90],
        "volume_id": struct.unpack_from("<I", sector, 67)[0],
        "signature": sector[510:512],
    }


def mtools(args, img, offset):
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    return subprocess.run(args[:1] + ["-i", f"{img}@@{offset}"] + args[1:],
                          capture_output=True, text=True, env=env)


def list_files(img, offset):
    r = mtools(["mdir", "-b", "::"], img, offset)
    if r.returncode != 0:
        return None, r.stderr.strip()
    names = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("::/"):
            names.append(line[3:])
    return names, None


def read_file(img, offset, name, dest_dir):
    dest = os.path.join(dest_dir, name)
    r = mtools(["mcopy", "-n", "-o", f"::{name}", dest], img, offset)
    if r.returncode != 0:
        return None, r.stderr.strip()
    with open(dest, "rb") as f:
        return f.read(), None


def parse_config(text):
    """config.txt as the firmware reads it: key=value lines, '#' comments, and the
    space-separated 'initramfs <file> <address>' form."""
    keys, initramfs = {}, None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("initramfs "):
            initramfs = line.split()[1] if len(line.split()) > 1 else ""
            continue
        if "=" in line:
            k, v = line.split("=", 1)
            keys[k.strip()] = v.strip()
    return keys, initramfs


def fdtget(path, node, prop):
    r = subprocess.run(["fdtget", "-t", "s", path, node, prop], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("image")
    ap.add_argument("board", choices=sorted(BOARDS))
    ap.add_argument("--extract", metavar="DIR", help="copy the boot files into DIR")
    ap.add_argument("--firmware", metavar="DIR", help="compare firmware files with DIR")
    args = ap.parse_args()
    board = BOARDS[args.board]
    t = Ktap()

    try:
        with open(args.image, "rb") as f:
            mbr = f.read(SECTOR)
            img_size = os.fstat(f.fileno()).st_size
    except OSError as e:
        t.check(False, "image is readable", e)
        return 1 if t.report() else 0

    sig_ok, parts = parse_mbr(mbr)
    t.check(sig_ok, "MBR boot signature 0x55aa")
    ids = [b["disk_id"] for b in BOARDS.values()]
    assert len(set(ids)) == len(ids), "two boards share a disk identifier"
    t.check(disk_id(mbr) == board["disk_id"], f"disk identifier 0x{board['disk_id']:08x} ({args.board}'s own)",
            f"disk identifier 0x{disk_id(mbr):08x}")
    t.check(len(parts) == 1, "exactly one partition", f"partitions: {parts}")
    if not parts:
        return 1 if t.report() else 0
    _, _, ptype, start, count = parts[0]
    t.check(ptype == FAT32_LBA_TYPE, "partition type 0x0c (FAT32 LBA)", f"type 0x{ptype:02x}")
    t.check(start == PART_START_LBA, "partition starts at 1 MiB (LBA 2048)", f"start LBA {start}")
    end = (start + count) * SECTOR
    t.check(count > 0 and end <= img_size, "partition lies within the image",
            f"ends at byte {end}, image is {img_size} bytes")
    offset = start * SECTOR

    with open(args.image, "rb") as f:
        f.seek(offset)
        bpb = parse_fat32_bpb(f.read(SECTOR))
    t.check(bpb["signature"] == b"\x55\xaa" and bpb["fstype"] == b"FAT32   ",
            "partition holds a FAT32 boot sector", f"fstype {bpb['fstype']!r}")
    t.check(bpb["bytes_per_sector"] == SECTOR and bpb["total"] == count and bpb["hidden"] == start,
            "FAT32 geometry matches the partition",
            f"bytes/sector {bpb['bytes_per_sector']}, total {bpb['total']} (partition {count}), "
            f"hidden {bpb['hidden']} (start {start})")
    t.check(bpb["volume_id"] == board["disk_id"], "FAT volume serial matches the disk identifier",
            f"volume serial 0x{bpb['volume_id']:08x}")
    if bpb["sectors_per_cluster"]:
        data_sectors = bpb["total"] - bpb["reserved"] - bpb["fats"] * bpb["fatsz32"]
        clusters = data_sectors // bpb["sectors_per_cluster"]
        # Below 65525 clusters a FAT driver must treat the volume as FAT16, whatever it says.
        t.check(clusters >= 65525, "cluster count is FAT32's (>= 65525)", f"{clusters} clusters")

    names, err = list_files(args.image, offset)
    if not t.check(names is not None, "root directory is readable with mdir", err):
        return 1 if t.report() else 0

    with tempfile.TemporaryDirectory() as scratch:
        out_dir = args.extract or scratch
        os.makedirs(out_dir, exist_ok=True)

        config_data, err = read_file(args.image, offset, "config.txt", out_dir)
        if not t.check(config_data is not None, "config.txt present", err):
            return 1 if t.report() else 0
        keys, initramfs = parse_config(config_data.decode("ascii", "replace"))
        want = dict(COMMON_CONFIG, **board["config"])
        for k, v in want.items():
            t.check(keys.get(k) == v, f"config.txt: {k}={v}", f"found {k}={keys.get(k)}")
        dtb_name = keys.get("device_tree", "")
        t.check(dtb_name != "", "config.txt: device_tree names the DTB")

        expected = set(board["firmware"]) | {"config.txt", "cmdline.txt", "kernel8.img"}
        if dtb_name:
            expected.add(dtb_name)
        if initramfs is not None:
            expected.add(initramfs)
        present = set(names)
        t.check(not (expected - present), f"{args.board} boot files present",
                f"missing: {sorted(expected - present)}")
        t.check(not (present - expected), "no unexpected files",
                f"unexpected: {sorted(present - expected)}")

        for fw in board["firmware"]:
            data, err = read_file(args.image, offset, fw, scratch)
            ok = data is not None and len(data) > 0
            if ok and args.firmware:
                with open(os.path.join(args.firmware, fw), "rb") as f:
                    ok = f.read() == data
                    err = "differs from the firmware directory" if not ok else None
            t.check(ok, f"firmware {fw} intact", err)

        cmdline, err = read_file(args.image, offset, "cmdline.txt", out_dir)
        if t.check(cmdline is not None, "cmdline.txt readable", err):
            text = cmdline.decode("ascii", "replace")
            lines = text.splitlines()
            # The firmware uses the first line only.
            t.check(len(lines) <= 1, "cmdline.txt is a single line", f"{len(lines)} lines")
            # The firmware renames these by its own UART numbering (see mksdcard.sh), which
            # on a Pi 3/4 is the opposite of the DTB's serial0/serial1 aliases.
            renamed = [w for w in text.split() if w.startswith("console=")
                       and w[8:].split(",")[0] in ("serial0", "serial1", "ttyAMA0", "ttyS0")]
            t.check(not renamed, "cmdline.txt has no console the firmware would rename",
                    f"found: {' '.join(renamed)}")

        kernel, err = read_file(args.image, offset, "kernel8.img", out_dir)
        if t.check(kernel is not None, "kernel8.img readable", err):
            t.check(len(kernel) >= 64 and kernel[56:60] == b"ARM\x64",
                    "kernel8.img has the arm64 Image header", f"{len(kernel)} bytes")

        if dtb_name:
            dtb, err = read_file(args.image, offset, dtb_name, out_dir)
            if t.check(dtb is not None, f"{dtb_name} readable", err):
                t.check(dtb[:4] == b"\xd0\x0d\xfe\xed", f"{dtb_name} is a flattened device tree",
                        f"magic {dtb[:4].hex()}")
                path = os.path.join(out_dir, dtb_name)
                compat = fdtget(path, "/", "compatible") or ""
                t.check(board["soc"] in compat.split(), f"{dtb_name} is for {board['soc']}",
                        f"compatible: {compat}")
                stdout = fdtget(path, "/chosen", "stdout-path") or ""
                alias = stdout.split(":", 1)[0]
                target = fdtget(path, "/aliases", alias) if alias and not alias.startswith("/") \
                    else alias
                t.check(bool(target) and fdtget(path, target, "compatible") is not None,
                        f"{dtb_name} stdout-path resolves to a device", f"stdout-path: {stdout!r}")

        if initramfs is not None:
            initrd, err = read_file(args.image, offset, initramfs, out_dir)
            t.check(initrd is not None and len(initrd) > 0, f"initrd {initramfs} readable", err)

    return 1 if t.report() else 0


if __name__ == "__main__":
    sys.exit(main())
