#!/usr/bin/env python3
"""tapcount.py - count TAP results across a meson test log.

usage: tapcount.py LABEL build/meson-logs/testlog.json [...]

Each meson test is a TAP program; this counts its individual cases, so the closing line
reflects every check that ran, not just every program. A program that crashed or timed
out after its last TAP line counts as one more failure; one that printed a plan
("1..N") but fewer results counts the missing ones as failures. Prints failing cases,
then one line: "LABEL: N passed, N failed, N skipped". Exit status 1 if anything failed.
"""
import json
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$')
PLAN = re.compile(r'^1\.\.(\d+)')


def count(path):
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            rec = json.loads(line)
            name, result = rec['name'], rec['result']
            seen = t_fail = 0
            plan = None
            for out in (rec.get('stdout') or '').splitlines():
                m = PLAN.match(out)
                if m:
                    plan = int(m.group(1))
                    continue
                m = TAP.match(out)
                if not m:
                    continue
                seen += 1
                desc = m.group(3)
                if m.group(1) == 'not ok' and '# TODO' not in desc:
                    failed += 1
                    t_fail += 1
                    failures.append('%s: %s' % (name, desc))
                elif '# SKIP' in desc.upper():
                    skipped += 1
                else:
                    passed += 1
            if seen == 0:
                if result == 'SKIP':
                    skipped += 1
                elif result == 'OK':
                    passed += 1
                else:
                    failed += 1
                    failures.append('%s: %s with no TAP output' % (name, result))
                continue
            if plan is not None and seen < plan:
                failed += plan - seen
                failures.append('%s: %d of %d planned cases never ran' % (name, plan - seen, plan))
            elif result not in ('OK', 'SKIP') and t_fail == 0:
                failed += 1
                failures.append('%s: %s after its last case (crash, leak or timeout)' % (name, result))
    return passed, failed, skipped, failures


def main():
    label, paths = sys.argv[1], sys.argv[2:]
    tp = tf = ts = 0
    for p in paths:
        a, b, c, fl = count(p)
        tp, tf, ts = tp + a, tf + b, ts + c
        for x in fl:
            print('FAILED ' + x)
    print('%s: %d passed, %d failed, %d skipped' % (label, tp, tf, ts))
    return 1 if tf else 0


if __name__ == '__main__':
    sys.exit(main())
