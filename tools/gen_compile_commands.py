#!/usr/bin/env python3
"""Writes compile_commands.json for clangd from the Makefile's own flags.

usage: gen_compile_commands.py OUT --kernel "<cxxflags>" "<asflags>" --host "<hostflags>" -- sources...
Kernel sources get the kernel flags; tests/host files get the host flags.
"""
import json
import os
import shlex
import sys


def main():
    args = sys.argv[1:]
    out = args[0]
    kflags = shlex.split(args[args.index('--kernel') + 1])
    aflags = shlex.split(args[args.index('--kernel') + 2])
    hflags = shlex.split(args[args.index('--host') + 1])
    srcs = args[args.index('--') + 1:]
    top = os.getcwd()
    entries = []
    for src in sorted(set(srcs)):
        if src.startswith('tests/host/') or src.startswith('tests/fuzz/'):
            cmd = ['clang++'] + hflags + ['-c', src]
        elif src.endswith('.S'):
            cmd = ['clang'] + aflags + ['-c', src]
        else:
            cmd = ['clang++'] + kflags + ['-c', src]
        entries.append({'directory': top, 'file': src, 'arguments': cmd})
    with open(out, 'w') as f:
        json.dump(entries, f, indent=1)
    print('compile_commands.json: %d entries' % len(entries))


if __name__ == '__main__':
    main()
