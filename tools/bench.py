#!/usr/bin/env python3
"""`make bench`: boots the kernel under QEMU with -icount shift=0 (one guest nanosecond per
instruction, so figures are instruction counts that repeat exactly) and `bench=all`, collects
the "bench: <name>: <value> <unit>" lines and prints them as a table, one column per kernel
variant (SLUB, SLOB). Targets from the issues are checked and marked."""
import os
import re
import shlex
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = {  # name: (max value, what the issue asks)
    'page_order0_pcp_hit_alloc_free': (150, 'order-0 alloc+free on a pcp hit <= 150 insn'),
    'kmalloc64_fast_alloc_free': (40, 'SLUB kmalloc-64 fast path <= 40 insn'),
}


def run(variant_args, label):
    r = subprocess.run(['make', '--no-print-directory', 'kernel'] + variant_args, cwd=TOP,
                       capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stdout[-3000:], r.stderr[-3000:])
        sys.exit('bench: build failed for %s' % label)
    cmd = subprocess.run(['make', '-s', '--no-print-directory', 'qemu-cmd', 'MEM=1G'] + variant_args, cwd=TOP,
                         capture_output=True, text=True).stdout.strip()
    argv = shlex.split(cmd) + ['-icount', 'shift=0', '-append', 'semihosting bench=all']
    try:
        out = subprocess.run(argv, cwd=TOP, capture_output=True, text=True, timeout=600,
                             stdin=subprocess.DEVNULL).stdout
    except subprocess.TimeoutExpired:
        sys.exit('bench: QEMU timed out (600 s) for %s' % label)
    os.makedirs(os.path.join(TOP, 'build', 'test-logs'), exist_ok=True)
    with open(os.path.join(TOP, 'build', 'test-logs', 'bench-%s.log' % label), 'w') as f:
        f.write(out)
    figures = {}
    for m in re.finditer(r'bench: ([\w.-]+): ([\d.]+) (\S+)', out):
        figures[m.group(1)] = (m.group(2), m.group(3))
    return figures


def main():
    cols = [('SLUB', ['SLAB=slub']), ('SLOB', ['SLAB=slob'])]
    if os.environ.get('BENCH_VARIANTS') == 'slub':
        cols = cols[:1]
    results = [(label, run(args, label.lower())) for label, args in cols]
    names = []
    for _, fig in results:
        for n in fig:
            if n not in names:
                names.append(n)
    w = max([len(n) for n in names] + [10])
    print('%-*s %14s %14s' % (w, 'benchmark', *[l for l, _ in results]) if len(results) == 2 else
          '%-*s %14s' % (w, 'benchmark', results[0][0]))
    bad = []
    for n in names:
        row = []
        for _, fig in results:
            v = fig.get(n)
            row.append('%s %s' % v if v else '-')
        print('%-*s ' % (w, n) + ' '.join('%14s' % c for c in row))
        if n in TARGETS:
            limit, text = TARGETS[n]
            v = results[0][1].get(n)
            ok = v is not None and float(v[0]) <= limit
            print('%-*s   target: %s -> %s' % (w, '', text, 'met' if ok else 'NOT MET'))
            if not ok:
                bad.append(text)
    if not names:
        sys.exit('bench: no figures were printed')
    if bad:
        print('targets not met: ' + '; '.join(bad))


if __name__ == '__main__':
    main()
