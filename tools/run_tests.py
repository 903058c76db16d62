#!/usr/bin/env python3
"""Runs every test tier and ends with one line: `N passed, N failed`.

Tiers:
  host    the doctest suite (ASan+UBSan), one result per test case
  fuzz    a short libFuzzer run over the DT parser (when tests/fuzz provides fuzz-smoke)
  target  QEMU boots: KTAP self-tests (one result per case, plus one per boot for the
          boot-level checks: plan, exit status, no oops, no timeout) and scenario boots that
          expect a specific report (oops, stack overflow, injected failure, piped console)
  sdcard  the Pi SD card images, read back

Every QEMU run has a timeout and says so when it expires. Logs: build/test-logs/.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(TOP, 'build', 'test-logs')
QEMU_TIMEOUT = int(os.environ.get('QEMU_TIMEOUT', '180'))

results = []  # (name, ok, detail)


def record(name, ok, detail=''):
    results.append((name, ok, detail))
    if not ok:
        print('FAIL: %s%s' % (name, (' -- ' + detail) if detail else ''), flush=True)


def make(*args, quiet=True):
    cmd = ['make', '--no-print-directory', '-j%d' % (os.cpu_count() or 2)] + list(args)
    r = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True)
    if r.returncode != 0 or not quiet:
        sys.stdout.write(r.stdout[-4000:])
        sys.stdout.write(r.stderr[-4000:])
    return r


def qemu_cmd(board, **vars):
    args = ['-s', 'qemu-cmd', 'BOARD=' + board] + ['%s=%s' % kv for kv in vars.items()]
    r = make(*args)
    if r.returncode != 0:
        return None
    return shlex.split(r.stdout.strip())


def run_qemu(name, cmd, stdin_data=None):
    """Runs QEMU with a timeout; returns (exit status or None on timeout, output)."""
    os.makedirs(LOGS, exist_ok=True)
    log = os.path.join(LOGS, name.replace('/', '_') + '.log')
    start = time.time()
    try:
        r = subprocess.run(cmd, cwd=TOP, input=stdin_data if stdin_data is not None else '',
                           capture_output=True, text=True, errors='replace', timeout=QEMU_TIMEOUT)
        status, out = r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout.decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or ''))
        status = None
        out += '\n*** TIMEOUT: QEMU killed after %d s ***\n' % QEMU_TIMEOUT
    with open(log, 'w') as f:
        f.write(' '.join(shlex.quote(c) for c in cmd) + '\n\n' + out)
    return status, out, time.time() - start


OOPS_PATTERNS = ('Internal error:', 'Kernel panic', 'Unable to handle kernel', 'Bad mode in',
                 'Insufficient stack space', 'UBSAN:', 'BUG: ', 'WARNING: CPU')


def strip_ts(line):
    return re.sub(r'^\[\s*\d+\.\d+\] ', '', line)


def parse_ktap(name, out):
    """Records one result per KTAP case; returns (ok, summary)."""
    lines = [strip_ts(l.rstrip('\r')) for l in out.splitlines()]
    if 'KTAP version 1' not in lines:
        record(name + ': KTAP output', False, 'no "KTAP version 1" header')
        return False
    ok_all = True
    top_plan = None
    suite = None
    suites_seen = 0
    cases_in_suite = 0
    suite_plan = None
    for l in lines:
        m = re.match(r'^1\.\.(\d+)$', l)
        if m and top_plan is None:
            top_plan = int(m.group(1))
            continue
        m = re.match(r'^    # Subtest: (\S+)', l)
        if m:
            suite, cases_in_suite, suite_plan = m.group(1), 0, None
            continue
        m = re.match(r'^    1\.\.(\d+)$', l)
        if m:
            suite_plan = int(m.group(1))
            continue
        m = re.match(r'^    (not ok|ok) \d+ (\S+)(.*)$', l)
        if m and suite:
            cases_in_suite += 1
            good = m.group(1) == 'ok'
            record('%s: %s.%s' % (name, suite, m.group(2)), good, m.group(3).strip())
            ok_all &= good
            continue
        m = re.match(r'^(not ok|ok) \d+ (\S+)', l)
        if m:
            suites_seen += 1
            if m.group(1) != 'ok':
                ok_all = False
                # A suite can fail without a failing case (ledger mismatch).
                record('%s: suite %s' % (name, m.group(2)), False, 'suite reported not ok')
            if suite_plan is not None and cases_in_suite != suite_plan:
                record('%s: suite %s plan' % (name, m.group(2)), False,
                       'planned %d cases, saw %d' % (suite_plan, cases_in_suite))
                ok_all = False
            suite = None
    if top_plan is None or suites_seen != top_plan:
        record(name + ': KTAP plan', False, 'planned %s suites, saw %d' % (top_plan, suites_seen))
        return False
    return ok_all


def ktest_boot(name, board, cmdline='', expect_status=0, **vars):
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting ktest=all ' + cmdline])
    cases_ok = parse_ktap(name, out)
    oops = [p for p in OOPS_PATTERNS if p in out]
    problems = []
    if status is None:
        problems.append('timeout after %d s' % QEMU_TIMEOUT)
    elif status != (0 if cases_ok else 1):
        problems.append('exit status %s does not match the KTAP result' % status)
    if oops:
        problems.append('oops text in log: %s' % ', '.join(oops))
    record(name + ': boot', not problems, '; '.join(problems))


def scenario(name, board, cmdline, expect_status, patterns, stdin_data=None, extra=None, forbid=(), **vars):
    cmd = qemu_cmd(board, **vars)
    if cmd is None:
        record(name, False, 'no QEMU command for board')
        return
    cmd = cmd + (extra or []) + ['-append', 'semihosting ' + cmdline]
    status, out, secs = run_qemu(name, cmd, stdin_data)
    problems = []
    if status is None:
        problems.append('timeout')
    elif status != expect_status:
        problems.append('exit status %s, expected %s' % (status, expect_status))
    plain = '\n'.join(strip_ts(l) for l in out.splitlines())
    for p in patterns:
        if not re.search(p, plain, re.M):
            problems.append('missing /%s/' % p)
    for p in forbid:
        if re.search(p, plain, re.M):
            problems.append('unexpected /%s/' % p)
    record(name, not problems, '; '.join(problems))


def loader_boot(name, machine_opts, kernel_addr, dtb_addr, expect_el):
    """Boots the Image at a chosen physical address through a minimal loader stub, the way a
    boot loader other than QEMU's -kernel would (same Image, different load address)."""
    build = os.path.join(TOP, 'build', 'loader-test')
    os.makedirs(build, exist_ok=True)
    dtb = os.path.join(build, name.replace('/', '_') + '.dtb')
    stub = os.path.join(build, 'bootstrap-%x-%x' % (kernel_addr, dtb_addr))
    base = ['qemu-system-aarch64', '-M', 'virt' + machine_opts, '-cpu', 'cortex-a53', '-m', '1G',
            '-nic', 'none', '-display', 'none', '-monitor', 'none', '-no-reboot', '-serial', 'stdio',
            '-semihosting-config', 'enable=on,target=native']
    try:
        subprocess.run(base + ['-machine', 'dumpdtb=' + dtb], check=True, capture_output=True)
        subprocess.run(['fdtput', '-t', 's', dtb, '/chosen', 'bootargs',
                        'semihosting ktest=boot ktest.expect_boot_el=%d' % expect_el], check=True)
        subprocess.run(['clang', '--target=aarch64-none-elf', '-c', '-DDTB_ADDR=%#x' % dtb_addr,
                        '-DKERNEL_ADDR=%#x' % kernel_addr, 'tests/target/bootstrap.S', '-o', stub + '.o'],
                       cwd=TOP, check=True)
        subprocess.run(['ld.lld', '-Ttext=0x40100000', stub + '.o', '-o', stub + '.elf'], check=True)
        subprocess.run(['llvm-objcopy', '-O', 'binary', stub + '.elf', stub + '.bin'], check=True)
    except subprocess.CalledProcessError as e:
        record(name, False, 'could not prepare: %s' % e)
        return
    cmd = base + ['-device', 'loader,file=%s.bin,addr=0x40100000,cpu-num=0' % stub,
                  '-device', 'loader,file=%s,addr=%#x,force-raw=on' % (dtb, dtb_addr),
                  '-device', 'loader,file=build/qemu-virt/Image,addr=%#x,force-raw=on' % kernel_addr]
    status, out, secs = run_qemu(name, cmd)
    cases_ok = parse_ktap(name, out)
    where = 'image loaded at PA %#x' % kernel_addr
    problems = []
    if status != 0 or not cases_ok:
        problems.append('exit status %s' % status)
    if where not in out:
        problems.append('banner does not say "%s"' % where)
    record(name + ': boot', not problems, '; '.join(problems))


# --- memblock at boot: the arrays the DTB and command line imply, computed independently ---

def parse_size(text):
    m = re.match(r'^(\d+|0x[0-9a-fA-F]+)([KMG]?)$', text)
    v = int(m.group(1), 0)
    return v << {'': 0, 'K': 10, 'M': 20, 'G': 30}[m.group(2)]


def merge(ranges, key=lambda r: None):
    """Sorted, with overlapping/adjacent ranges merged when their keys match."""
    out = []
    for r in sorted(ranges):
        if out and r[0] <= out[-1][1] and key(r) == key(out[-1]):
            out[-1] = (out[-1][0], max(out[-1][1], r[1])) + tuple(out[-1][2:])
        else:
            out.append(tuple(r))
    return out


def subtract(ranges, hole_start, hole_end):
    out = []
    for r in ranges:
        s, e = r[0], r[1]
        if e <= hole_start or s >= hole_end:
            out.append(r)
            continue
        if s < hole_start:
            out.append((s, hole_start) + tuple(r[2:]))
        if e > hole_end:
            out.append((hole_end, e) + tuple(r[2:]))
    return out


def dtb_facts(dtb):
    dts = subprocess.run(['dtc', '-q', '-I', 'dtb', '-O', 'dts', dtb], capture_output=True, text=True).stdout
    mem = []
    for m in re.finditer(r'memory@[0-9a-f]+ \{(.*?)\};', dts, re.S):
        body = m.group(1)
        reg = [int(x, 16) for x in re.search(r'reg = <([^>]*)>', body).group(1).split()]
        nid = re.search(r'numa-node-id = <(0x[0-9a-f]+)>', body)
        for i in range(0, len(reg) - 3, 4):
            base, size = reg[i] << 32 | reg[i + 1], reg[i + 2] << 32 | reg[i + 3]
            mem.append((base, base + size, int(nid.group(1), 16) if nid else 0))
    initrd = None
    a = re.search(r'linux,initrd-start = <([^>]*)>', dts)
    b = re.search(r'linux,initrd-end = <([^>]*)>', dts)
    if a and b:
        val = lambda t: int(''.join('%08x' % int(x, 16) for x in t.split()), 16)
        initrd = (val(a.group(1)), val(b.group(1)))
    with open(dtb, 'rb') as f:
        totalsize = int.from_bytes(f.read(8)[4:8], 'big')
    return mem, initrd, totalsize


def memblock_boot(name, qemu_extra, cmdline, mem='1G', smp='1'):
    """Boots with memblock=debug and compares the MEMBLOCK dump with the arrays computed here
    from the DTB QEMU passes and the command line (Linux's rules, reimplemented)."""
    cmd = qemu_cmd('qemu-virt', MEM=mem, SMP=smp)
    if cmd is None:
        record(name, False, 'no QEMU command')
        return
    dtb = os.path.join(LOGS, name + '.dtb')
    base = [c for c in cmd]
    mi = base.index('virt') if 'virt' in base else None
    m_arg = base[base.index('-M') + 1]
    dump = base[:]
    dump[dump.index('-M') + 1] = m_arg + ',dumpdtb=' + dtb
    full_cmdline = 'semihosting memblock=debug ktest=boot ' + cmdline
    subprocess.run(dump + qemu_extra + ['-append', full_cmdline], capture_output=True)
    status, out, secs = run_qemu(name, base + qemu_extra + ['-append', full_cmdline])
    plain = [strip_ts(l.rstrip('\r')) for l in out.splitlines()]
    problems = []
    if status != 0:
        problems.append('exit status %s' % status)
    try:
        mem_dt, initrd, fdt_size = dtb_facts(dtb)
    except Exception as e:  # noqa: BLE001 - report, do not crash the runner
        record(name, False, 'cannot read the dumped DTB: %s' % e)
        return
    banner = re.search(r'image loaded at PA (0x[0-9a-f]+); DTB at PA (0x[0-9a-f]+)', out)
    with open(os.path.join(TOP, 'build', 'qemu-virt', 'Image'), 'rb') as f:
        image_size = int.from_bytes(f.read(24)[16:24], 'little')
    if not banner:
        record(name, False, 'no banner')
        return
    load_pa, dtb_pa = int(banner.group(1), 16), int(banner.group(2), 16)

    memory = [(s & ~0xfff, e & ~0xfff, n) for s, e, n in mem_dt]
    for m in re.finditer(r'memmap=(\S+)\$(\S+)', cmdline):
        size, start = parse_size(m.group(1)), parse_size(m.group(2))
        memory = subtract(memory, start, start + size)
    memory = merge(memory, key=lambda r: r[2])
    kernel = (load_pa, load_pa + image_size)
    m = re.search(r'mem=(\S+)', cmdline)
    if m:  # memblock_mem_limit_remove_map, then the kernel image added back (arm64)
        limit, kept, acc = parse_size(m.group(1)), [], 0
        for s, e, n in memory:
            take = min(e - s, max(0, limit - acc))
            if take:
                kept.append((s, s + take, n))
            acc += e - s
        memory = merge(kept + [(kernel[0], kernel[1], 0)], key=lambda r: r[2])
    reserved = [(dtb_pa, dtb_pa + fdt_size), kernel]
    if initrd:
        reserved.append((initrd[0] & ~0xfff, (initrd[1] + 0xfff) & ~0xfff))
    reserved = merge(reserved)

    got_mem = [(int(a, 16), int(b, 16) + 1, int(n)) for a, b, n in re.findall(
        r'^ memory\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\], 0x[0-9a-f]+ bytes on node (\d+) flags: 0x0$',
        '\n'.join(plain), re.M)]
    got_res = [(int(a, 16), int(b, 16) + 1) for a, b in re.findall(
        r'^ reserved\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\], 0x[0-9a-f]+ bytes( on node \d+)? flags: 0x0$',
        '\n'.join(plain), re.M) and [(x[0], x[1]) for x in re.findall(
        r'^ reserved\[0x[0-9a-f]+\]\t\[(0x[0-9a-f]+)-(0x[0-9a-f]+)\]', '\n'.join(plain), re.M)]]
    fmt = lambda rs: ', '.join('[%#x-%#x)%s' % (r[0], r[1], (' n%d' % r[2]) if len(r) > 2 else '') for r in rs)
    if got_mem != memory:
        problems.append('memory %s, expected %s' % (fmt(got_mem), fmt(memory)))
    if got_res != reserved:
        problems.append('reserved %s, expected %s' % (fmt(got_res), fmt(reserved)))
    record('memblock: ' + name, not problems, '; '.join(problems))


def memory_agreement(name, mem):
    """The boot log's Memory line, meminfo and buddyinfo agree with each other and with
    memblock (issue 4): total RAM = memblock memory size, available = MemTotal, and MemFree =
    the sum of buddyinfo's free blocks."""
    cmd = qemu_cmd('qemu-virt', MEM=mem)
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting memblock=debug'],
                                 'meminfo\nbuddyinfo\npoweroff\n')
    plain = '\n'.join(strip_ts(l.rstrip('\r')) for l in out.splitlines())
    problems = []
    m_mb = re.search(r'^ memory size = (0x[0-9a-f]+) reserved size', plain, re.M)
    m_line = re.search(r'^Memory: (\d+)K/(\d+)K available', plain, re.M)
    m_total = re.search(r'^MemTotal:\s+(\d+) kB', plain, re.M)
    m_free = re.search(r'^MemFree:\s+(\d+) kB', plain, re.M)
    buddy = re.findall(r'^Node \d+, zone\s+\S+((?:\s+\d+)+)\s*$', plain, re.M)
    if status != 0 or not (m_mb and m_line and m_total and m_free and buddy):
        record(name, False, 'missing output (exit %s)' % status)
        return
    memblock_k = int(m_mb.group(1), 16) >> 10
    avail_k, total_k = int(m_line.group(1)), int(m_line.group(2))
    buddy_k = sum(int(c) << o for row in buddy for o, c in enumerate(row.split())) * 4
    if total_k != memblock_k:
        problems.append('Memory line total %dK != memblock memory %dK' % (total_k, memblock_k))
    if avail_k != int(m_total.group(1)):
        problems.append('Memory line available %dK != MemTotal %s kB' % (avail_k, m_total.group(1)))
    if buddy_k != int(m_free.group(1)):
        problems.append('buddyinfo sums to %d kB, MemFree is %s kB' % (buddy_k, m_free.group(1)))
    record(name, not problems, '; '.join(problems))


def proc_names(text, sep):
    return [l.split(sep)[0] for l in text.splitlines() if l.strip()]


def zoneinfo_shape(text):
    """zoneinfo with numbers and zone names blanked: one shape per zone, populated or not."""
    blocks = re.split(r'^Node \d+, zone\s+\S+\n', text, flags=re.M)[1:]
    return [re.sub(r'\d+', 'N', b) for b in blocks]


def proc_formats(name):
    """The /proc-format console commands (issue 12 items 1, 4, 5): meminfo and vmstat print
    Linux 6.1's fields in its order (tests/linux-6.1, recorded from Debian's 6.1 kernel under
    QEMU virt), as plain console text (no timestamp, not in dmesg), parseable as procps's
    meminfo parser reads it ("Name: value kB", MemTotal as the Memory line's available);
    zoneinfo's per-zone blocks have Linux's shape for populated and empty zones; printk.time=0
    drops the timestamps of the log."""
    ref = os.path.join(TOP, 'tests', 'linux-6.1')
    want_mem = proc_names(open(os.path.join(ref, 'meminfo')).read(), ':')
    want_vm = proc_names(open(os.path.join(ref, 'vmstat')).read(), ' ')
    linux_zi = zoneinfo_shape(open(os.path.join(ref, 'zoneinfo')).read())
    cmd = qemu_cmd('qemu-virt')
    status, out, secs = run_qemu(name, cmd + ['-append', 'semihosting'],
                                 'meminfo\nvmstat\nzoneinfo\ndmesg\npoweroff\n')
    lines = [l.rstrip('\r') for l in out.splitlines()]
    problems = []

    def section(cmdname):
        try:
            i = lines.index('kernel> ' + cmdname)
        except ValueError:
            return None
        j = i + 1
        while j < len(lines) and not lines[j].startswith('kernel> '):
            j += 1
        return lines[i + 1:j]
    mem, vm, zi, dm = section('meminfo'), section('vmstat'), section('zoneinfo'), section('dmesg')
    if status != 0 or None in (mem, vm, zi, dm):
        record(name, False, 'missing output (exit %s)' % status)
        return
    for label, sec in (('meminfo', mem), ('vmstat', vm), ('zoneinfo', zi)):
        stamped = [l for l in sec if re.match(r'^\[\s*\d+\.\d+\] ', l)]
        if stamped:
            problems.append('%s has timestamps: %r' % (label, stamped[0]))
    if any('MemTotal:' in l or l.startswith('nr_free_pages ') or 'per-node stats' in l for l in dm):
        problems.append('/proc output is in dmesg')
    if proc_names('\n'.join(mem), ':') != want_mem:
        problems.append('meminfo fields differ from Linux 6.1: %s' % sorted(set(want_mem) ^ set(proc_names('\n'.join(mem), ':'))))
    if proc_names('\n'.join(vm), ' ') != want_vm:
        problems.append('vmstat fields differ from Linux 6.1: %s' % sorted(set(want_vm) ^ set(proc_names('\n'.join(vm), ' '))))
    # procps's meminfo parser: "Name:" then a number, optionally " kB"; every line must parse.
    values = {}
    for l in mem:
        m = re.match(r'^([A-Za-z0-9_()]+):\s+(\d+)( kB)?$', l)
        if not m:
            problems.append('meminfo line procps cannot parse: %r' % l)
            continue
        values[m.group(1)] = int(m.group(2))
    m_line = re.search(r'^Memory: (\d+)K/(\d+)K available', '\n'.join(strip_ts(l) for l in lines), re.M)
    if not m_line or values.get('MemTotal') != int(m_line.group(1)):
        problems.append('MemTotal %s kB is not the Memory line\'s available' % values.get('MemTotal'))
    if not (0 < values.get('MemFree', 0) <= values.get('MemTotal', 0)):
        problems.append('MemFree %s kB outside (0, MemTotal]' % values.get('MemFree'))
    if values.get('Slab', 0) != values.get('SReclaimable', -1) + values.get('SUnreclaim', -1) or values.get('Slab', 0) == 0:
        problems.append('Slab %s kB is not SReclaimable + SUnreclaim, or 0' % values.get('Slab'))
    # Linux's zones on this machine: DMA populated, the others empty; compare shapes by kind.
    ours = zoneinfo_shape('\n'.join(zi) + '\n')
    lin_pop = [b for b in linux_zi if 'per-node stats' in b or 'pagesets' in b]
    lin_empty = [b for b in linux_zi if 'pagesets' not in b]
    for b in ours:
        if 'pagesets' in b:
            want = lin_pop[0] if 'per-node stats' in b else lin_pop[0][lin_pop[0].index('  pages free'):]
        else:
            want = lin_empty[0]
        if b != want:
            problems.append('a zoneinfo block differs from Linux 6.1\'s shape')
            break
    status, out2, secs = run_qemu(name + ' printk.time=0', cmd + ['-append', 'semihosting printk.time=0'],
                                  'dmesg\npoweroff\n')
    stamped = [l for l in out2.splitlines() if re.match(r'^\[\s*\d+\.\d+\] ', l)]
    if status != 0 or stamped or 'Memory: ' not in out2:
        problems.append('printk.time=0: exit %s, %d timestamped lines' % (status, len(stamped)))
    record(name, not problems, '; '.join(problems))


def host_tests():
    r = make('host-test', quiet=True)
    out = r.stdout + r.stderr
    with open(os.path.join(LOGS, 'host.log'), 'w') as f:
        f.write(out)
    m = re.search(r'test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed', out)
    if not m:
        record('host: suite', False, 'no doctest summary (build failure or crash); see build/test-logs/host.log')
        return
    failed_names = []
    for block in out.split('=' * 79):
        tm = re.search(r'^TEST CASE:\s+(.*)$', block, re.M)
        if tm and re.search(r'ERROR|FATAL|CRASH', block):
            failed_names.append(tm.group(1).strip())
    passed, failed = int(m.group(2)), int(m.group(3))
    for i in range(passed):
        results.append(('host: case %d' % i, True, ''))
    for n in sorted(set(failed_names)) or ['(unnamed)'] * failed:
        record('host: ' + n, False)
    if r.returncode != 0 and failed == 0:
        record('host: suite exit status', False, 'exit %d' % r.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target-only', action='store_true')
    ap.add_argument('--boards', default='qemu-virt,rpi3b,rpi4b',
                    help='comma-separated: qemu-virt, rpi3b, rpi4b (default: all three)')
    args = ap.parse_args()
    os.makedirs(LOGS, exist_ok=True)
    t0 = time.time()

    if not args.target_only:
        print('== layers', flush=True)
        r = make('check-layers', quiet=True)
        out = r.stdout + r.stderr
        record('layers: check-layers catches a violation of each rule', 'self-test: ok' in out,
               '' if 'self-test: ok' in out else out.strip())
        record('layers: the tree follows the one-way include layering', r.returncode == 0 and 'check-layers: ok' in out,
               '' if r.returncode == 0 else out.strip())
        print('== host tests', flush=True)
        host_tests()
        if make('-n', 'fuzz-smoke').returncode == 0:
            print('== fuzz smoke', flush=True)
            r = make('fuzz-smoke')
            record('fuzz: dt memory parser smoke run', r.returncode == 0,
                   '' if r.returncode == 0 else 'see output above')

    print('== building the kernel', flush=True)
    r = make('kernel', 'BOARD=qemu-virt')
    if r.returncode != 0:
        record('build: kernel', False, 'build failed')
    else:
        boards = args.boards.split(',') if args.target_only else ['qemu-virt', 'rpi3b', 'rpi4b']
        if 'qemu-virt' in boards:
            print('== target: qemu-virt', flush=True)
            ktest_boot('virt-a72-el1', 'qemu-virt', 'ktest.expect_boot_el=1', CPU='cortex-a72')
            ktest_boot('virt-a53-el2', 'qemu-virt', 'ktest.expect_boot_el=2', CPU='cortex-a53',
                       VIRT_OPTS=',virtualization=on')
            ktest_boot('virt-gicv3-el1', 'qemu-virt', 'ktest.expect_boot_el=1', CPU='cortex-a72',
                       VIRT_OPTS=',gic-version=3')
            ktest_boot('virt-gicv3-el2', 'qemu-virt', 'ktest.expect_boot_el=2', CPU='cortex-a53',
                       VIRT_OPTS=',gic-version=3,virtualization=on')
            scenario('virt: failing test makes QEMU exit 1', 'qemu-virt', 'ktest=all ktest.inject_failure', 1,
                     [r'^    not ok 1 injected_failure$', r'^not ok \d+ ktest_self$'])
            scenario('virt: oops names the faulting function', 'qemu-virt', 'crashtest=null', 1,
                     [r'Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000',
                      r'EC = 0x25: DABT \(current EL\)', r'FSC = 0x0\d: level \d translation fault',
                      r'WnR = 1', r'^pc : crashtest_null_deref\+0x', r'^Call trace:',
                      r'^ run\+0x', r'Kernel panic - not syncing: Oops: Fatal exception'])
            scenario('virt: stack overflow is reported', 'qemu-virt', 'crashtest=stack', 1,
                     [r'Insufficient stack space to handle exception!', r'^Task stack:\s+\[0x',
                      r'^Overflow stack: \[0x', r'^pc : crashtest_recurse\+0x',
                      r'Kernel panic - not syncing: kernel stack overflow'])
            scenario('virt: piped console input runs commands', 'qemu-virt', '', 0,
                     [r'^kernel> help$', r'^  dmesg\s+print the kernel log buffer',
                      r'reboot: Power down \(status 0\)'], stdin_data='help\npoweroff\n')
            loader_boot('virt-el3-load-0x40600000', ',secure=on,virtualization=on', 0x40600000, 0x44000000, 3)
            scenario('virt: overflow of a vmalloc\'ed task stack is reported', 'qemu-virt', 'crashtest=vmap_stack', 1,
                     [r'crashtest: task crashtest-vmap on stack \[0x[0-9a-f]{16}\.\.0x[0-9a-f]{16}\]',
                      r'Insufficient stack space to handle exception!', r'^Task stack:\s+\[0x',
                      r"kernel stack overflow in task crashtest-vmap: SP [0-9a-f]+ is below its vmalloc'ed stack \[0x[0-9a-f]{16}\.\.0x[0-9a-f]{16}\]",
                      r'FAR [0-9a-f]+ is in the guard region', r'^pc : crashtest_recurse\+0x',
                      r'Kernel panic - not syncing: kernel stack overflow'])
            scenario('virt: stack protector catches a smashed frame', 'qemu-virt', 'crashtest=stackprot', 1,
                     [r'Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: crashtest_stackprot\+0x'])
            print('== target: UBSan kernel', flush=True)
            if make('kernel', 'UBSAN=1').returncode != 0:
                record('build: UBSAN=1 kernel', False, 'build failed')
            else:
                ktest_boot('virt-ubsan', 'qemu-virt', '', UBSAN='1')
                scenario('virt-ubsan: UBSan reports and continues', 'qemu-virt', 'crashtest=ubsan ktest=boot', 0,
                         [r'^UBSAN: shift-out-of-bounds in tests/target/crashtest.cpp:\d+:\d+$',
                          r'^shift exponent 40 is too large for 32-bit type .int.$',
                          r'^at crashtest_ubsan_shift\+0x', r'^# Totals: pass:\d+ fail:0'], UBSAN='1')
            print('== target: SLOB kernel', flush=True)
            if make('kernel', 'SLAB=slob').returncode != 0:
                record('build: SLAB=slob kernel', False, 'build failed')
            else:
                ktest_boot('virt-slob', 'qemu-virt', '', SLAB='slob')
            print('== target: memblock from the device tree', flush=True)
            initrd = os.path.join(LOGS, 'initrd.bin')
            with open(initrd, 'wb') as f:
                f.write(bytes(range(256)) * 1200)
            numa = ['-object', 'memory-backend-ram,id=m0,size=512M', '-object', 'memory-backend-ram,id=m1,size=512M',
                    '-numa', 'node,memdev=m0,cpus=0', '-numa', 'node,memdev=m1,cpus=1']
            memblock_boot('virt-128M', [], '', mem='128M')
            memblock_boot('virt-1G', [], '', mem='1G')
            memblock_boot('virt-4G', [], '', mem='4G')
            memblock_boot('virt-16G', [], '', mem='16G')
            memblock_boot('virt-numa', numa, '', mem='1G', smp='2')
            memblock_boot('virt-memmap-hole', [], 'memmap=64M$0x50000000 memmap=1M$0x7ff00000', mem='1G')
            memblock_boot('virt-mem-limit', [], 'mem=256M', mem='1G')
            memblock_boot('virt-initrd', ['-initrd', initrd], '', mem='1G')
            scenario('virt: memmap= removing all RAM panics clearly', 'qemu-virt', 'memmap=1G$0x40000000', 1,
                     [r'^OF: fdt: No memory left after memmap=/mem=$', r'Kernel panic - not syncing: '])
            scenario('virt: malformed mem= is reported and ignored', 'qemu-virt', 'mem=junk ktest=boot', 0,
                     [r"Malformed early option 'mem'", r'^# Totals: pass:\d+ fail:0'])
            print('== target: user programs', flush=True)
            scenario('virt: rdinit= runs init with the words after -- as arguments', 'qemu-virt',
                     'rdinit=/init -- --expect-argc=2', 0,
                     [r'^Run /init as init process$', r'^/init: exited with status 0 \(\d+ page faults'],
                     stdin_data='poweroff\n')
            scenario('virt: static glibc malloc stress runs unmodified', 'qemu-virt', '', 0,
                     [r'^malloc_stress: ok \d+ bytes checked', r'^/bin/glibc/malloc_stress: exited with status 0',
                      r'^Hello from static glibc|^/bin/glibc/hello: exited with status 0'],
                     stdin_data='run /bin/glibc/hello\nrun /bin/glibc/malloc_stress\npoweroff\n',
                     forbid=[r'^run: free pages'])
            scenario('virt: an -initrd from the loader replaces the built-in initramfs', 'qemu-virt',
                     'rdinit=/bin/efault_kptr', 0, [r'^/bin/efault_kptr: exited with status 0'],
                     stdin_data='poweroff\n', extra=['-initrd', 'build/initramfs.cpio'])
            print('== target: page allocator configurations', flush=True)
            memory_agreement('virt: Memory line, meminfo, buddyinfo and memblock agree (1G)', '1G')
            memory_agreement('virt: Memory line, meminfo, buddyinfo and memblock agree (4G)', '4G')
            proc_formats('virt: meminfo/vmstat/zoneinfo in Linux 6.1\'s fields and format, plain console text')
            ktest_boot('virt-4G-memmap-hole', 'qemu-virt', 'memmap=256M$0x80000000', MEM='4G')
            ktest_boot('virt-debug-pagealloc', 'qemu-virt', 'debug_pagealloc=on', MEM='512M')
            # kstrtobool's other spelling: the allocator and the linear map read one parsed flag.
            ktest_boot('virt-debug-pagealloc-y', 'qemu-virt', 'debug_pagealloc=y', MEM='512M')
            ktest_boot('virt-page-poison', 'qemu-virt', 'page_poison=1', MEM='512M')
            ktest_boot('virt-no-grouping', 'qemu-virt', 'page_alloc.grouping=off', MEM='512M')
            loader_boot('virt-el2-load-0x40280000', ',virtualization=on', 0x40280000, 0x48000000, 2)

        # The Raspberry Pis: the same kernel, the project's DTBs, the console on the mini UART
        # (QEMU's second -serial, see board/rpi3b/board.mk).
        pi_names = {'rpi3b': 'Raspberry Pi 3 Model B', 'rpi4b': 'Raspberry Pi 4 Model B'}
        # Linux's own DTBs (from Debian's linux-image-*-arm64-unsigned, see tools/setup.sh).
        upstream_dtbs = {'rpi3b': 'bcm2837-rpi-3-b.dtb', 'rpi4b': 'bcm2711-rpi-4-b.dtb'}

        def pi_ktest_boot(name, board, kernel=None, dtb=None, cmdline='', pl011_console=False):
            """ktest=all on a Pi with another kernel8.img and/or DTB than the board's, or with
            the PL011 (QEMU's first -serial) as the console."""
            cmd = qemu_cmd(board)
            if cmd is None:
                record(name + ': boot', False, 'no QEMU command for board')
                return
            if pl011_console:
                i = cmd.index('null')
                cmd[i], cmd[i + 2] = cmd[i + 2], cmd[i]
            if kernel:
                cmd[cmd.index('-kernel') + 1] = kernel
            if dtb:
                cmd[cmd.index('-dtb') + 1] = dtb
            status, out, secs = run_qemu(name, cmd + ['-append', (cmdline + ' semihosting ktest=all').strip()])
            cases_ok = parse_ktap(name, out)
            oops = [p for p in OOPS_PATTERNS if p in out]
            problems = []
            if status != 0 or not cases_ok:
                problems.append('exit status %s' % status)
            if oops:
                problems.append('oops text in log: %s' % ', '.join(oops))
            record(name + ': boot', not problems, '; '.join(problems))

        for board in ('rpi3b', 'rpi4b'):
            if board not in boards:
                continue
            print('== target: %s' % board, flush=True)
            if make('kernel', 'BOARD=' + board).returncode != 0:
                record('build: kernel BOARD=%s' % board, False, 'build failed')
                continue
            ktest_boot(board, board, 'ktest.expect_boot_el=2')
            scenario('%s: shell prompt and commands on the mini UART' % board, board, '', 0,
                     [r'^console \[ttyS0\] enabled', r'^kernel> interrupts$', r' arch_timer$', r' ttyS0 rx$',
                      r'^' + pi_names[board], r'reboot: Power down \(status 0\)'],
                     stdin_data='interrupts\nboard\npoweroff\n')
            # The mini UART has no loopback: the runner types the character the test waits for.
            scenario('%s: console receive interrupt (typed input)' % board, board,
                     'ktest=serial ktest.console_rx=K', 0, [r'^    ok \d+ console_rx_interrupt_fires$'],
                     stdin_data='K')
            scenario('%s: reboot through the PM watchdog' % board, board, '', 0,
                     [r'bcm2835-wdt: watchdog at 0x[0-9a-f]+: restart', r'reboot: Restarting system'],
                     stdin_data='reboot\n')
            # console=serial0: the PL011 as console, pins GPIO14/15 on ALT0, its RX interrupt
            # through ARMCTRL (Pi 3) or the GIC (Pi 4), tested by loopback.
            pi_ktest_boot('%s-pl011-console' % board, board, cmdline='console=serial0', pl011_console=True)
            upstream = os.path.join(TOP, 'build', 'deps', 'linux-dtbs', upstream_dtbs[board])
            if os.path.exists(upstream):
                pi_ktest_boot('%s-linux-dtb' % board, board, dtb=upstream)
            else:  # tools/setup.sh extracts them; missing means the setup is broken
                record('%s: boot with Linux\'s DTB' % board, False, 'missing %s' % os.path.relpath(upstream, TOP))

            # The SD card: build, read back (tools/check_sdcard.py's KTAP), then boot exactly the
            # kernel8.img, DTB and cmdline.txt extracted from the image.
            r = make('sdcard', 'BOARD=' + board)
            ktap = os.path.join(TOP, 'build', board, 'sdcard-check.ktap')
            if r.returncode != 0 or not os.path.exists(ktap):
                record('%s: sdcard image' % board, False, 'make sdcard failed')
                continue
            with open(ktap) as f:
                for line in f:
                    m = re.match(r'^(not ok|ok) \d+ - (.*)$', line.strip())
                    if m:
                        record('%s: sdcard: %s' % (board, m.group(2)), m.group(1) == 'ok')
            files = os.path.join(TOP, 'build', board, 'sdcard-files')
            dtbs = sorted(f for f in os.listdir(files) if f.endswith('.dtb'))
            with open(os.path.join(files, 'kernel8.img'), 'rb') as a, \
                    open(os.path.join(TOP, 'build', board, 'kernel8.img'), 'rb') as b:
                record('%s: sdcard kernel8.img is the kernel just built' % board, a.read() == b.read())
            if len(dtbs) != 1:
                record('%s: sdcard boot' % board, False, 'not exactly one DTB on the card: %s' % dtbs)
                continue
            with open(os.path.join(files, 'cmdline.txt')) as f:
                cmdline = f.read().strip()
            pi_ktest_boot('%s-sdcard' % board, board, kernel=os.path.join(files, 'kernel8.img'),
                          dtb=os.path.join(files, dtbs[0]), cmdline=cmdline)

    passed = sum(1 for r in results if r[1])
    failed = len(results) - passed
    if failed:
        print('\nFailed tests:')
        for n, ok, d in results:
            if not ok:
                print('  %s%s' % (n, (' -- ' + d) if d else ''))
    print('(%.0f s; logs in build/test-logs/)' % (time.time() - t0))
    print('%d passed, %d failed' % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
