#!/usr/bin/env python3
"""Runs one `danescan scan` and reports when its ordinary domains were all recorded.

usage: time-to-ordinary.py <lab-scale-dir> <run-dir> -- <danescan scan command...>
The ordinary domains are the lines of <lab-scale-dir>/domains.txt (or of the list the command names) that
are neither fan-out domains (<lab-scale-dir>/fanout.txt) nor hot-address domains (hot<i>.scale-s0.lab). The run's domains.jsonl is polled every 20 ms; the script prints the
seconds from the start of the command until the last ordinary domain was recorded, and until the command ended.
"""
import os
import re
import subprocess
import sys
import time

scale_dir, run_dir = sys.argv[1], sys.argv[2]
command = sys.argv[sys.argv.index("--") + 1:]
lists = [a for a in command if a.endswith(".txt")]
with open(lists[0] if lists else os.path.join(scale_dir, "domains.txt")) as f:
    listed = [line.strip() for line in f if line.strip()]
fanout = set()
fanout_path = os.path.join(scale_dir, "fanout.txt")
if os.path.exists(fanout_path):
    with open(fanout_path) as f:
        fanout = {line.strip() for line in f if line.strip()}
hot = {d for d in listed if re.match(r"^hot\d+\.scale-s0\.", d)}
ordinary = {d for d in listed if d not in fanout and d not in hot}

key = re.compile(r'^\{"key":"([^"]+)"')
domains_path = os.path.join(run_dir, "domains.jsonl")
start = time.monotonic()
process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
seen, offset, buffer, done_at = set(), 0, "", None
while True:
    ended = process.poll() is not None
    if os.path.exists(domains_path):
        with open(domains_path) as f:
            f.seek(offset)
            chunk = f.read()
            offset = f.tell()
        buffer += chunk
        *lines, buffer = buffer.split("\n")
        for line in lines:
            m = key.match(line)
            if m and m.group(1) in ordinary:
                seen.add(m.group(1))
        if done_at is None and len(seen) == len(ordinary):
            done_at = time.monotonic() - start
    if ended:
        break
    time.sleep(0.02)
total = time.monotonic() - start
stderr = process.stdout.read()
pace = next((line for line in stderr.splitlines() if line.startswith("pace:")), "")
print(f"ordinary {len(seen)}/{len(ordinary)} recorded at {done_at if done_at is not None else float('nan'):.2f} s; "
      f"fan-out {len(fanout & set(listed))}, hot {len(hot)}; command ended at {total:.2f} s (exit {process.returncode}); {pace}")
sys.exit(process.returncode)
