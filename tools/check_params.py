#!/usr/bin/env python3
"""Checks that docs/kernel-parameters.md lists every kernel command-line parameter.

    tools/check_params.py [--self-test]

A parameter is a registration at the start of a line, `EARLY_PARAM("name", fn)` or
`KERNEL_PARAM("name", fn)`, in any kernel source (the tree without build/, user/ and the
host-only tests/host/ and tests/fuzz/). The document lists a parameter as the first
`backticked` word of a table row (`name`, `name=` or `name=<value>`). Names compare as the
kernel compares them: '-' equals '_'. Fails (exit 1), printing each, when a parameter is not
documented or the document lists one that does not exist. --self-test checks that both
mistakes are caught, on a made-up tree.
"""
import os
import re
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join('docs', 'kernel-parameters.md')
SKIP = {'build', '.git', 'user', os.path.join('tests', 'host'), os.path.join('tests', 'fuzz')}
REG = re.compile(r'^\s*(EARLY_PARAM|KERNEL_PARAM)\(\s*"([^"]+)"', re.M)
ROW = re.compile(r'^\|\s*`([^`=<\[\s]+)', re.M)


def norm(name):
    return name.replace('-', '_')


def registered(top):
    """{name: [file:line, ...]} of every registration in the kernel's sources."""
    found = {}
    for root, dirs, files in os.walk(top):
        rel = os.path.relpath(root, top)
        dirs[:] = sorted(d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in SKIP)
        for f in sorted(files):
            if not f.endswith(('.cpp', '.h', '.S', '.c')):
                continue
            path = os.path.join(root, f)
            with open(path, errors='replace') as fh:
                text = fh.read()
            for m in REG.finditer(text):
                line = text.count('\n', 0, m.start()) + 1
                found.setdefault(norm(m.group(2)), []).append('%s:%d' % (os.path.relpath(path, top), line))
    return found


def documented(top):
    with open(os.path.join(top, DOC)) as f:
        return {norm(m.group(1)) for m in ROW.finditer(f.read())}


def check(top):
    """The problems, one line each; empty when the document and the tree agree."""
    regs = registered(top)
    try:
        docs = documented(top)
    except OSError as e:
        return ['%s: %s' % (DOC, e.strerror)]
    problems = ['%s: %s registers parameter %s, which %s does not list'
                % (where[0], 'EARLY_PARAM/KERNEL_PARAM', name, DOC)
                for name, where in sorted(regs.items()) if name not in docs]
    problems += ['%s lists parameter %s, which no EARLY_PARAM/KERNEL_PARAM registers' % (DOC, name)
                 for name in sorted(docs - set(regs))]
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, 'docs'))
        os.makedirs(os.path.join(t, 'mm'))
        os.makedirs(os.path.join(t, 'tests', 'host'))
        with open(os.path.join(t, DOC), 'w') as f:
            f.write('| Parameter | x |\n|---|---|\n| `mem=` | a |\n| `slab-nomerge` | b |\n| `gone=` | c |\n')
        with open(os.path.join(t, 'mm', 'a.cpp'), 'w') as f:
            f.write('// EARLY_PARAM("in_a_comment", f)\nEARLY_PARAM("mem", f);\n'
                    'EARLY_PARAM("slab_nomerge", g);\nKERNEL_PARAM("new_one", h);\n')
        with open(os.path.join(t, 'tests', 'host', 't.cpp'), 'w') as f:
            f.write('EARLY_PARAM("host_only", f);\n')
        got = check(t)
        want_missing = [p for p in got if 'new_one' in p]
        want_stale = [p for p in got if 'gone' in p]
        if len(got) != 2 or not want_missing or not want_stale:
            print('check_params: self-test failed: %s' % got)
            return False
    return True


def main():
    if '--self-test' in sys.argv[1:]:
        ok = self_test()
        print('check_params: self-test: %s' % ('ok' if ok else 'FAILED'))
        return 0 if ok else 1
    problems = check(TOP)
    for p in problems:
        print(p)
    n = len(registered(TOP))
    print('check_params: %s (%d parameters)' % ('ok' if not problems else '%d problems' % len(problems), n))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
