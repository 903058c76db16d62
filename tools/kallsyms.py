#!/usr/bin/env python3
"""Generate the kernel's embedded symbol table (Linux's scripts/kallsyms, simplified).

Reads `llvm-nm -n -C` output on stdin and writes an assembly file with:
  kallsyms_num      .quad  number of symbols
  kallsyms_offsets  .long  symbol address - KIMAGE_VADDR, sorted ascending
  kallsyms_names    .long  offset of each name in kallsyms_strings
  kallsyms_strings  NUL-terminated names (C++ names demangled, parameter lists dropped)
Only code symbols are kept: the table serves backtraces and %pS.

  --empty            emit an empty table (first link pass)
  --verify A B       check that code symbol addresses agree between links A and B
"""
import subprocess
import sys

KIMAGE_VADDR = 0xFFFF800008000000


def strip_params(name):
    # "ns::Cls::fn(int, char const*) const" -> "ns::Cls::fn"; keep operator() intact.
    depth = 0
    for i, c in enumerate(name):
        if c == '<':
            depth += 1
        elif c == '>':
            depth -= 1
        elif c == '(' and depth == 0 and not name[:i].endswith('operator'):
            return name[:i]
    return name


def parse(lines):
    syms = []
    for line in lines:
        parts = line.rstrip('\n').split(' ', 2)
        if len(parts) != 3 or parts[1] not in ('T', 't', 'W', 'w'):
            continue
        try:
            addr = int(parts[0], 16)
        except ValueError:
            continue
        name = parts[2]
        if name.startswith('$') or name.startswith('.L') or addr < KIMAGE_VADDR:
            continue
        syms.append((addr, strip_params(name)))
    syms.sort()
    return syms


def emit(syms):
    out = ['\t.section .kallsyms, "a"', '\t.balign 8',
           '\t.globl kallsyms_num', 'kallsyms_num:', '\t.quad %d' % len(syms),
           '\t.globl kallsyms_offsets', 'kallsyms_offsets:']
    out += ['\t.long 0x%x' % (a - KIMAGE_VADDR) for a, _ in syms]
    out += ['\t.globl kallsyms_names', 'kallsyms_names:']
    off = 0
    for _, n in syms:
        out.append('\t.long %d' % off)
        off += len(n.encode()) + 1
    out += ['\t.globl kallsyms_strings', 'kallsyms_strings:']
    for _, n in syms:
        out.append('\t.asciz "%s"' % n.replace('\\', '\\\\').replace('"', '\\"'))
    print('\n'.join(out))


def nm(path, tool):
    return parse(subprocess.run([tool, '-n', '-C', path], check=True,
                                capture_output=True, text=True).stdout.splitlines())


def main():
    args = sys.argv[1:]
    if args[:1] == ['--empty']:
        emit([])
    elif args[:1] == ['--verify']:
        tool = args[4] if len(args) > 4 and args[3] == '--nm' else 'llvm-nm'
        a, b = nm(args[1], tool), nm(args[2], tool)
        if a != b:
            diff = [x for x in zip(a, b) if x[0] != x[1]][:5]
            sys.exit('kallsyms: code moved between link passes: %s' % diff)
    else:
        emit(parse(sys.stdin))


if __name__ == '__main__':
    main()
