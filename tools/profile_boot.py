#!/usr/bin/env python3
"""Per-function instruction profile of a boot (or a benchmark loop) under QEMU.

QEMU runs the kernel with -icount shift=0 and one instruction per translation block, logging
every executed PC (-d exec,nochain); this script tallies them per kernel symbol until the
first EL0 instruction (or the end of the run), then prints the heaviest functions with their
instruction counts and how often each was entered. It is how the boot-time figures in the
mmbench comparison were taken apart (DT lookups, memmap init, memblock_free_all).

  tools/profile_boot.py [--elf build/obj-slub/kernel.elf] [--image build/obj-slub/Image]
                        [--append 'semihosting rdinit=/bench/mmbench'] [--top 40] [--mem 1G]
                        [--all]   (keep counting past the first EL0 instruction)

It is slow (QEMU logs tens of millions of lines); a boot to user space takes 2-3 minutes.
"""
import argparse
import bisect
import collections
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The kernel runs at its physical load address until the MMU is on (boot/head.S); QEMU's
# -kernel loads it here on virt. PCs below KIMAGE_VADDR are mapped back onto the image.
LOAD_PA = 0x40200000
KIMAGE_VADDR = 0xffff800008000000
# virt's RAM starts at 1 GiB (QEMU's boot stub runs there first); the user programs are linked
# far below it, so the first PC under it is the first EL0 instruction.
RAM_BASE = 0x40000000


def symbols(elf):
    out = subprocess.run(['llvm-nm-14', '-n', '-C', elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split(' ', 2)
        if len(parts) == 3 and parts[1] in 'tTwW':
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--elf', default=os.path.join(TOP, 'build', 'obj-slub', 'kernel.elf'))
    ap.add_argument('--image', default=os.path.join(TOP, 'build', 'obj-slub', 'Image'))
    ap.add_argument('--append', default='semihosting rdinit=/bench/mmbench')
    ap.add_argument('--mem', default='1G')
    ap.add_argument('--top', type=int, default=40)
    ap.add_argument('--all', action='store_true', help='do not stop at the first EL0 instruction')
    args = ap.parse_args()

    cmd = ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a72', '-m', args.mem, '-nic', 'none',
           '-kernel', args.image, '-serial', 'null', '-display', 'none', '-monitor', 'none', '-no-reboot',
           '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=0', '-append', args.append,
           '-accel', 'tcg,one-insn-per-tb=on', '-d', 'exec,nochain', '-D', '/dev/stdout']
    qemu = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            text=True, bufsize=1 << 20)
    counts = collections.Counter()
    for line in qemu.stdout:
        i = line.find('/')
        if i < 0:
            continue
        pc = int(line[i + 1:i + 17], 16)
        if pc < RAM_BASE and not args.all:
            break  # EL0: user programs are linked low
        counts[pc] += 1
    qemu.kill()
    qemu.wait()

    syms = symbols(args.elf)
    addrs = [a for a, _ in syms]
    insns = collections.Counter()
    calls = collections.Counter()
    for pc, n in counts.items():
        va = pc - LOAD_PA + KIMAGE_VADDR if LOAD_PA <= pc < KIMAGE_VADDR else pc
        j = bisect.bisect_right(addrs, va) - 1
        name = syms[j][1] if j >= 0 else '?'
        insns[name] += n
        if j >= 0 and syms[j][0] == va:
            calls[name] += n
    total = sum(counts.values())
    print('%d instructions%s' % (total, '' if args.all else ' to the first EL0 instruction'))
    print('%12s %6s %9s  %s' % ('insns', '%', 'entries', 'function'))
    for name, n in insns.most_common(args.top):
        print('%12d %6.2f %9d  %s' % (n, 100.0 * n / total if total else 0, calls[name], name))


if __name__ == '__main__':
    sys.exit(main())
