#!/usr/bin/env python3
"""Report of scripts/official-suite: per module "passed / total", failures, skips.

Usage: official_suite_report.py LOG_DIR ALLOW_FILE MODULE...

LOG_DIR holds, per module M, M.list (the test binary's `--list` output), M.log (its run with
`--show-output`) and M.rc. A test passes when libtest says `ok` and its captured output does
not say it skipped itself, unless the feature it skipped for needs a server newer than 8.1
(aerolite follows 8.1; docs/serve.md). Tests that never reported (the module timed out) are
failures. Exit status 1 when a must-pass module has a failure or an unjustified skip that
ALLOW_FILE (`module::test  reason` lines, `#` comments) does not list, else 0.
"""

import re
import sys
from pathlib import Path

MUST_PASS = {"kv", "cdt_map", "cdt_list", "scan", "truncate", "exp", "batch"}
RESULT = re.compile(r"test (src::[\w:]+) \.\.\. (ok|FAILED|ignored)")
SECTION = re.compile(r"^---- (src::[\w:]+) stdout ----$")
SKIP = re.compile(r"skip", re.IGNORECASE)
NEWER = re.compile(r"(requires|predates)[^\n]*\b(8\.[2-9]|9\.)", re.IGNORECASE)


def load_allow(path):
    allow = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        allow[name] = reason.strip()
    return allow


def sections(text):
    """Captured output per test (both the successes and the failures sections)."""
    out, name, buf = {}, None, []
    for line in text.splitlines():
        m = SECTION.match(line)
        if m or line in ("successes:", "failures:") or line.startswith("test result:"):
            if name:
                out[name] = out.get(name, "") + "\n".join(buf)
            name, buf = (m.group(1) if m else None), []
        elif name:
            buf.append(line)
    if name:
        out[name] = out.get(name, "") + "\n".join(buf)
    return out


def why(captured):
    """The first panic line of a failure (or the skip line)."""
    for line in captured.splitlines():
        if "panicked at" in line or SKIP.search(line):
            continue
        if line.strip():
            return line.strip()[:160]
    return ""


def module_report(logs, m):
    listed = [
        line.split(": test")[0]
        for line in (logs / f"{m}.list").read_text().splitlines()
        if line.endswith(": test")
    ]
    text = (logs / f"{m}.log").read_text(errors="replace")
    results = dict(RESULT.findall(text))
    captured = sections(text)
    rows = []
    for t in listed:
        out = captured.get(t, "")
        r = results.get(t, "unfinished")
        if r == "ok" and SKIP.search(out):
            r = "skip-newer" if NEWER.search(out) else "skipped"
        rows.append((t, r, out))
    return rows


def main():
    logs, allow_file, modules = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    allow = load_allow(allow_file)
    bad = []
    total_pass = total = 0
    print()
    print(f"{'module':<14} {'passed / total':>15}   notes")
    details = []
    for m in modules:
        rows = module_report(logs, m)
        passed = sum(1 for _, r, _ in rows if r in ("ok", "skip-newer"))
        newer = sum(1 for _, r, _ in rows if r == "skip-newer")
        notes = []
        if newer:
            notes.append(f"{newer} skip (needs server > 8.1, counted as passed)")
        fails = [(t, r, o) for t, r, o in rows if r not in ("ok", "skip-newer")]
        if fails:
            notes.append(f"{len(fails)} not passed")
        print(f"{m:<14} {passed:>7} / {len(rows):<6}   {'; '.join(notes)}")
        total_pass += passed
        total += len(rows)
        for t, r, o in fails:
            short = t.removeprefix("src::")
            reason = allow.get(short)
            tag = "allowed" if reason is not None else ("MUST-PASS" if m in MUST_PASS else "")
            details.append(f"  {short} [{r}] {tag}: {reason or why(o)}")
            if reason is None and m in MUST_PASS:
                bad.append(short)
    print(f"{'all':<14} {total_pass:>7} / {total:<6}")
    if details:
        print("\nnot passed (reason: the allow-list's, else the test's first output line):")
        print("\n".join(details))
    if bad:
        print(f"\nofficial-suite: {len(bad)} must-pass test(s) not passed and not allow-listed:")
        print("\n".join(f"  {b}" for b in bad))
        return 1
    print("\nofficial-suite: every must-pass module passes (allow-list aside)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
