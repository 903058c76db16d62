#!/usr/bin/env python3
"""make check-layers: the one-way layering of the tree, checked on every #include.

Layers, bottom to top (a layer may include only itself and those below it):

  lib/kstd, asm/ (arch/arm64/include/asm)   freestanding types and CPU primitives
  include/core                              declarations every layer uses: printk, panic/BUG/WARN,
                                            spinlock, early params, console-command and KTEST
                                            registration (implemented in kernel/)
  lib/                                      string, formatting, device tree, ELF, cpio
  arch/, mm/, drivers/, fs/                 may use each other's declarations (as Linux's
                                            arch/arm64/mm uses linux/mm.h), never kernel/'s UI
  kernel/, tests/target/                    the top: shell, console core, test runner, benchmarks

Rules (each violation is printed as file:line and makes the check fail):
  1. include/core may include only kstd/, asm/, core/ and the compiler's <stdarg.h>/<stddef.h>.
  2. lib/ may include only lib/ (kstd/, of/, ...), core/, asm/ and system or libfdt headers.
  3. mm/ may include nothing from kernel/, drivers/ or tests/ (mm/ never sees the shell, the
     console, the test runner or the benchmark harness).
  3a. mm/ may include from fs/ only fs/fs.h (the VFS declarations, as Linux's mm/ includes
     linux/fs.h), and fs/fs.h includes nothing from kernel/, so mm/ stays below the kernel.
  4. Nothing outside kernel/ and tests/ includes the shell, the console core, the test runner
     or the benchmark harness (kernel/shell.h, kernel/ktest.h, kernel/bench.h); registration
     goes through core/console_cmd.h and core/ktest.h. Drivers may include kernel/console.h,
     the interface a console driver implements.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SRC_EXT = ('.cpp', '.h', '.S', '.c')
UI_HEADERS = {'kernel/shell.h', 'kernel/ktest.h', 'kernel/bench.h'}
SYSTEM_OK = {'stdarg.h', 'stddef.h', 'stdint.h', 'libfdt.h', 'libfdt_env.h', 'fdt.h', 'new',
             'initializer_list', 'string.h', 'stdlib.h'}


def sources(top):
    for d in ('include', 'lib', 'arch', 'mm', 'drivers', 'fs', 'kernel', 'tests/target', 'boot'):
        for root, _, files in os.walk(os.path.join(top, d)):
            for f in files:
                if f.endswith(SRC_EXT):
                    yield os.path.relpath(os.path.join(root, f), top)


def layer_of(rel):
    for prefix, name in (('include/core/', 'core'), ('lib/kstd/', 'kstd'),
                         ('arch/arm64/include/asm/', 'asm'), ('lib/', 'lib'), ('arch/', 'arch'),
                         ('mm/', 'mm'), ('fs/', 'fs'), ('drivers/', 'drivers'), ('kernel/', 'kernel'),
                         ('tests/', 'tests'), ('boot/', 'boot')):
        if rel.startswith(prefix):
            return name
    return 'other'


def target_of(kind, name, src, top=TOP):
    """Which layer an #include names: core/x.h, kstd/x.h, asm/x.h, lib/..., mm/..., or system."""
    first = name.split('/')[0]
    if kind == '<':
        return 'asm' if first == 'asm' else 'system'
    if first in ('core', 'kstd', 'asm', 'lib', 'mm', 'fs', 'kernel', 'drivers', 'tests', 'arch', 'boot'):
        return {'lib': 'lib'}.get(first, first)
    # A bare "x.h": the including file's own directory (a private header), or -Ilib.
    if os.path.exists(os.path.join(top, os.path.dirname(src), name)):
        return layer_of(os.path.join(os.path.dirname(src), name))
    if os.path.exists(os.path.join(top, 'lib', name)):
        return 'lib'
    return 'system'


def check(top=TOP):
    bad = []
    for rel in sources(top):
        src_layer = layer_of(rel)
        with open(os.path.join(top, rel), errors='replace') as f:
            for no, line in enumerate(f, 1):
                m = INC.match(line)
                if not m:
                    continue
                kind, name = m.groups()
                tgt = target_of(kind, name, rel, top)
                why = None
                if src_layer == 'core':
                    if tgt not in ('kstd', 'asm', 'core') and not (tgt == 'system' and name in SYSTEM_OK):
                        why = 'include/core may include only kstd/, asm/ and core/'
                elif src_layer in ('lib', 'kstd'):
                    if tgt in ('mm', 'fs', 'kernel', 'drivers', 'tests', 'arch', 'boot'):
                        why = 'lib/ may include only lib/, core/ and asm/'
                    elif src_layer == 'kstd' and tgt == 'core':
                        why = 'lib/kstd is below core/'
                elif src_layer == 'mm':
                    if tgt in ('kernel', 'drivers', 'tests'):
                        why = 'mm/ may not include %s/' % tgt
                    elif tgt == 'fs' and name != 'fs/fs.h':
                        why = 'mm/ may include only fs/fs.h from fs/'
                if rel == 'fs/fs.h' and tgt in ('kernel', 'drivers', 'tests'):
                    why = 'fs/fs.h is included by mm/: it may not include %s/' % tgt
                if why is None and src_layer not in ('kernel', 'tests') and name in UI_HEADERS:
                    why = '%s is the kernel UI (use core/console_cmd.h or core/ktest.h)' % name
                if why:
                    bad.append('%s:%d: #include %s%s%s: %s' % (rel, no, kind, name, '>' if kind == '<' else '"', why))
    return bad


def self_test():
    """The checker must catch each rule's violation in a scratch tree (a check that cannot fail
    proves nothing)."""
    import tempfile
    cases = {
        'mm/a.cpp': '#include "kernel/printk_internal.h"\n',
        'mm/b.cpp': '#include "drivers/psci.h"\n',
        'lib/c.cpp': '#include "mm/page_alloc.h"\n',
        'include/core/d.h': '#include "lib/of/of.h"\n',
        'arch/arm64/e.cpp': '#include "kernel/shell.h"\n',
        'drivers/f.cpp': '#include "kernel/ktest.h"\n',
        'lib/kstd/g.h': '#include "core/printk.h"\n',
        'mm/h.cpp': '#include "fs/internal.h"\n',
        'fs/fs.h': '#include "kernel/sched.h"\n',
    }
    ok = {'mm/ok.cpp': '#include "core/printk.h"\n#include <asm/mmu.h>\n#include "mm/gfp.h"\n',
          'lib/ok.cpp': '#include "core/panic.h"\n#include "kstd/types.h"\n',
          'kernel/ok.cpp': '#include "kernel/shell.h"\n',
          'mm/ok2.cpp': '#include "fs/fs.h"\n', 'fs/ok.cpp': '#include "kernel/sched.h"\n'}
    with tempfile.TemporaryDirectory() as d:
        for rel, text in list(cases.items()) + list(ok.items()):
            os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(d, rel), 'w') as f:
                f.write(text)
        bad = check(d)
    flagged = {b.split(':')[0] for b in bad}
    missed = sorted(set(cases) - flagged)
    wrong = sorted(flagged - set(cases))
    for m in missed:
        print('check-layers self-test: violation in %s not caught' % m)
    for w in wrong:
        print('check-layers self-test: %s flagged but allowed' % w)
    return 0 if not missed and not wrong else 1


def main():
    if '--self-test' in sys.argv:
        r = self_test()
        print('check-layers self-test: %s' % ('ok' if r == 0 else 'FAILED'))
        return r
    bad = check()
    for b in bad:
        print(b)
    if bad:
        print('check-layers: %d layering violation(s)' % len(bad))
        return 1
    print('check-layers: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
