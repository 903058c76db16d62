#!/usr/bin/env python3
"""`make bench`: boots the kernel under QEMU with -icount shift=0 (one guest nanosecond per
instruction, so figures are instruction counts that repeat exactly) and `bench=all`, collects
the "bench: <name>: <value> <unit>" lines and prints them as a table, one column per kernel
variant (SLUB, SLOB). Targets from the issues are checked and marked. Then user/mmbench and
user/procbench, each as /init on this kernel and on Debian's Linux, side by side
(BENCH_ONLY=procbench: only the latter)."""
import os
import re
import shlex
import subprocess
import sys

sys.dont_write_bytecode = True  # no tools/__pycache__ in the tree
import mkcpio  # noqa: E402 - tools/mkcpio.py, the tree's one cpio writer

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


def mmbench_figures(out):
    figs = {}
    for m in re.finditer(r'MMBENCH (\w+) ns_per_op=([\d.]+)', out):
        figs[m.group(1)] = float(m.group(2))
    m = re.search(r'MMBENCH boot_to_main ns=(\d+)', out)
    if m:
        figs['boot_to_first_user_main'] = float(m.group(1))
    if 'MMBENCH done failures=0' not in out:
        figs['_error'] = True
    return figs


def qemu_out(argv, timeout, stdin_text=None):
    """QEMU's output; on a timeout, what it printed until then (a program that hangs on one
    figure still reports the ones before it)."""
    try:
        return subprocess.run(argv, input=stdin_text, stdin=None if stdin_text is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout).stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b''
        out = out.decode(errors='replace') if isinstance(out, bytes) else out
        return out + '\nbench: QEMU timed out after %d s\n' % timeout


def boot_both(elf, rdinit, label, extra_files=None):
    """The same static binary as /init on this kernel (rdinit: its initramfs path, from
    build/initramfs.cpio) and on Debian's arm64 Linux (elf, alone in a cpio as /init), both
    under -icount shift=0 on QEMU virt with 1 GiB and one CPU. Returns (ours, Linux's) output;
    the logs are build/test-logs/<label>-{kernel,linux}.log."""
    linux = os.path.join(TOP, 'build', 'deps', 'linux-image', 'Image')
    initrd = os.path.join(TOP, 'build', 'bench-%s-linux-initramfs.cpio' % label)
    with open(elf, 'rb') as f:
        prog = f.read()
    # /dev/console (5, 1) so that Linux gives init a console to print on.
    files = {'/init': (0o755, prog)}
    # Further files for Linux's archive (DEST: host path), e.g. a dynamic program and its libraries.
    for dest, src in (extra_files or {}).items():
        with open(src, 'rb') as f:
            files[dest] = (0o755, f.read())
    mkcpio.write(initrd, mkcpio.archive(files, {'/dev/console': (0o600, 5, 1)}))
    base = ['qemu-system-aarch64', '-M', 'virt', '-cpu', 'cortex-a72', '-m', '1G', '-smp', '1', '-nic', 'none',
            '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot', '-icount', 'shift=0']
    ours = qemu_out(base + ['-kernel', os.path.join(TOP, 'build', 'qemu-virt', 'Image'),
                            '-semihosting-config', 'enable=on,target=native',
                            '-append', 'semihosting rdinit=' + rdinit], 600, 'poweroff\n')
    theirs = qemu_out(base + ['-kernel', linux, '-initrd', initrd,
                              '-append', 'console=ttyAMA0 rdinit=/init panic=-1 quiet'], 900)
    os.makedirs(os.path.join(TOP, 'build', 'test-logs'), exist_ok=True)
    for side, out in (('kernel', ours), ('linux', theirs)):
        with open(os.path.join(TOP, 'build', 'test-logs', '%s-%s.log' % (label, side)), 'w') as f:
            f.write(out)
    return ours, theirs


def linux_package():
    with open(os.path.join(TOP, 'build', 'deps', 'linux-image', 'package')) as f:
        return f.read().strip()


def run_mmbench():
    """The same static mmbench binary (user/mmbench.c, raw syscalls) on both kernels."""
    mm = os.path.join(TOP, 'build', 'user', 'mmbench.elf')
    subprocess.run(['make', '--no-print-directory', '-s', 'build/user/mmbench.elf'], cwd=TOP, check=True)
    ours, theirs = boot_both(mm, '/bench/mmbench', 'mmbench')
    a, b = mmbench_figures(ours), mmbench_figures(theirs)
    print('\nmmbench (ns per operation = instructions; lower is better), this kernel vs %s' % linux_package())
    print('%-32s %14s %14s %8s  %s' % ('figure', 'this kernel', 'Linux', 'ratio', 'target'))
    bad = []
    for n in [k for k in b if not k.startswith('_')]:
        if n not in a:
            print('%-32s %14s %14.1f' % (n, '-', b[n]))
            bad.append(n + ' missing')
            continue
        ratio = a[n] / b[n] if b[n] else 0
        limit = 0.01 if n == 'boot_to_first_user_main' else 1 / 3
        ok = ratio <= limit
        print('%-32s %14.1f %14.1f %8.3f  <= %s %s' % (n, a[n], b[n], ratio, '1/100' if limit == 0.01 else '1/3',
                                                  'met' if ok else 'NOT MET'))
        if not ok:
            bad.append(n)
    if a.get('_error') or b.get('_error') or not b:
        print('mmbench did not complete on both kernels; logs in build/test-logs/mmbench-*.log')
    return bad


# Issue 13's figures (user/procbench.c) and their targets: this kernel's instructions per
# operation at most this fraction of Linux's on the same binary.
PROCBENCH_TARGETS = {
    'fork_exit_wait_64m': 1 / 3,
    'fork_exec_exit_wait': 1 / 3,
    'sched_yield_pingpong': 1 / 3,
    'futex_pingpong': 1 / 3,
    'signal_roundtrip': 1 / 3,
    'pipe_pingpong': 1 / 2,  # issue 14's target
}


def procbench_figures(out):
    """{name: ns per op (float) or 'unsupported: <reason>'}, the INFO lines, and whether the
    run completed without errors."""
    figs = {}
    for m in re.finditer(r'^PROCBENCH (\w+) ns_per_op=([\d.]+)', out, re.M):
        figs[m.group(1)] = float(m.group(2))
    for m in re.finditer(r'^PROCBENCH (\w+) unsupported reason=(\S+)', out, re.M):
        figs[m.group(1)] = 'unsupported: ' + m.group(2)
    infos = re.findall(r'^PROCBENCH-INFO (\w+) (.*)$', out, re.M)
    return figs, infos, 'PROCBENCH done failures=0' in out


def run_procbench():
    """user/procbench.c on both kernels: fork, exec, sched_yield, futex and signal latencies."""
    subprocess.run(['make', '--no-print-directory', '-s', 'build/user/procbench.elf', 'build/user/stripped/procbench'],
                   cwd=TOP, check=True)
    # Linux gets the very file this kernel's initramfs holds (stripped), so that both exec the
    # same image in fork_exec_exit_wait.
    ours, theirs = boot_both(os.path.join(TOP, 'build', 'user', 'stripped', 'procbench'), '/bin/procbench',
                             'procbench')
    (a, ainfo, aok), (b, binfo, bok) = procbench_figures(ours), procbench_figures(theirs)
    print('\nprocbench (ns per operation = instructions; lower is better), this kernel vs %s' % linux_package())
    print('%-32s %14s %14s %8s  %s' % ('figure', 'this kernel', 'Linux', 'ratio', 'target'))
    bad, notes = [], []
    for n, limit in PROCBENCH_TARGETS.items():
        x, y = a.get(n), b.get(n)
        target = '<= 1/%d' % round(1 / limit)
        if not isinstance(y, float):
            print('%-32s %14s %14s %8s  %s not measured on Linux' % (n, fmt(x), fmt(y), '-', target))
            bad.append('%s not measured on Linux (%s)' % (n, y or 'missing'))
            continue
        if not isinstance(x, float):
            print('%-32s %14s %14.1f %8s  %s NOT MET (not measured)' % (n, fmt(x), y, '-', target))
            bad.append('%s not measured on this kernel (%s)' % (n, x or 'missing'))
            if x:
                notes.append('%s: %s' % (n, x))
            continue
        ratio = x / y if y else float('inf')
        ok = ratio <= limit
        print('%-32s %14.1f %14.1f %8.3f  %s %s' % (n, x, y, ratio, target, 'met' if ok else 'NOT MET'))
        if not ok:
            bad.append(n)
    for note in notes:
        print('  this kernel: ' + note)
    for side, infos in (('this kernel', ainfo), ('Linux', binfo)):
        for name, text in infos:
            print('  %-12s %-28s %s' % (side, name, text))
    if not aok or not bok:
        print('procbench did not complete without errors on %s; logs in build/test-logs/procbench-*.log'
              % ' and '.join(s for s, ok in (('this kernel', aok), ('Linux', bok)) if not ok))
        bad.append('procbench run incomplete')
    return bad


def fmt(v):
    if isinstance(v, float):
        return '%.1f' % v
    return 'unsupported' if v else '-'


def run_fmapbench():
    """user/fmapbench.c on both kernels: first-touch reads of a 64 MiB tmpfs file mapping
    (issue 14; target: at most 1/2 of Linux's instructions)."""
    subprocess.run(['make', '--no-print-directory', '-s', 'build/user/fmapbench.elf', 'build/user/stripped/fmapbench'],
                   cwd=TOP, check=True)
    subprocess.run(['make', '--no-print-directory', '-s', 'build/user/stripped/glibc/dynamic/hello'], cwd=TOP)
    lib = '/usr/aarch64-linux-gnu/lib'
    extra = {'/bin/glibc/dynamic/hello': os.path.join(TOP, 'build', 'user', 'stripped', 'glibc', 'dynamic', 'hello'),
             '/lib/ld-linux-aarch64.so.1': lib + '/ld-linux-aarch64.so.1',
             '/lib/aarch64-linux-gnu/libc.so.6': lib + '/libc.so.6'}
    ours, theirs = boot_both(os.path.join(TOP, 'build', 'user', 'stripped', 'fmapbench'), '/bin/fmapbench', 'fmapbench',
                             extra)
    def figs(out):
        return {m.group(1): (float(m.group(2)), int(m.group(3)))
                for m in re.finditer(r'^FMAPBENCH (\w+) ns_per_op=([\d.]+) ops=\d+ total_ns=\d+ faults=(-?\d+)', out, re.M)}
    a, b = figs(ours), figs(theirs)
    print('\nfmapbench (ns per operation = instructions; lower is better), this kernel vs %s' % linux_package())
    print('%-32s %14s %14s %8s  %s' % ('figure', 'this kernel', 'Linux', 'ratio', 'faults (ours/Linux)'))
    bad = []
    for n in b:
        if n not in a:
            print('%-32s %14s %14.1f' % (n, '-', b[n][0]))
            bad.append(n + ' missing')
            continue
        ratio = a[n][0] / b[n][0] if b[n][0] else 0
        print('%-32s %14.1f %14.1f %8.3f  %d/%d %s' % (n, a[n][0], b[n][0], ratio, a[n][1], b[n][1],
                                                       'met' if ratio <= 0.5 else 'NOT MET (<= 1/2)'))
        if ratio > 0.5:
            bad.append(n)
    for side, out in (('this kernel', ours), ('Linux', theirs)):
        if 'FMAPBENCH done failures=0' not in out:
            print('fmapbench did not complete on %s; logs in build/test-logs/fmapbench-*.log' % side)
            bad.append('fmapbench incomplete')
    return bad


def main():
    if os.environ.get('BENCH_ONLY') == 'fmapbench':
        bad = run_fmapbench()
        sys.exit(1 if bad else 0)
    if os.environ.get('BENCH_ONLY') == 'procbench':
        # Only the process figures (both kernels, about a minute): BENCH_ONLY=procbench make bench
        r = subprocess.run(['make', '--no-print-directory', '-s', 'kernel'], cwd=TOP)
        if r.returncode != 0:
            sys.exit('bench: build failed')
        subprocess.run(['tools/setup.sh'], cwd=TOP, check=True, env=dict(os.environ, SETUP_BENCH='1'))
        bad = ['procbench ' + n for n in run_procbench()]
        if bad:
            print('targets not met: ' + '; '.join(bad))
        return
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
    subprocess.run(['tools/setup.sh'], cwd=TOP, check=True, env=dict(os.environ, SETUP_BENCH='1'))
    bad += ['mmbench ' + n for n in run_mmbench()]
    bad += ['procbench ' + n for n in run_procbench()]
    if bad:
        print('targets not met: ' + '; '.join(bad))


if __name__ == '__main__':
    main()
