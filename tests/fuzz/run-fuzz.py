#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs one libFuzzer target for a short fixed time, as a test of the fuzz suite.

run-fuzz.py NAME TARGET FINDINGS MAX_LEN SEED_DIR...

The seed folders (the repository's corpus, its crashes/ and any other seeds; one that is not
there, like ../shared on a machine without it, is skipped) are copied to a temporary folder
first, so the fuzzer never writes into the repository. It runs for DAFTARI_FUZZ_SECONDS
seconds (25 unless set), prints how many inputs it executed, and fails when the target
crashed or a sanitizer reported: the input that did it is kept in FINDINGS.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def copy_seeds(folders, corpus, max_len):
    n = 0
    for folder in folders:
        if not os.path.isdir(folder):
            print(f"{folder} is not there: its seeds are skipped")
            continue
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                if name.startswith(".") or os.path.getsize(path) > max_len:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                with open(os.path.join(corpus, hashlib.sha1(data).hexdigest()), "wb") as f:
                    f.write(data)
                n += 1
    return n


def main():
    name, target, findings, max_len = sys.argv[1:5]
    max_len = int(max_len)
    seconds = int(os.environ.get("DAFTARI_FUZZ_SECONDS", "25"))
    # In memory where there is a tmpfs: the bundle target's store syncs to disk on every commit.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix=f"daftari-fuzz-{name}-", dir=shm) as work:
        corpus = os.path.join(work, "corpus")
        artifacts = os.path.join(work, "artifacts")
        tmp = os.path.join(work, "tmp")
        for d in (corpus, artifacts, tmp):
            os.mkdir(d)
        n_seeds = copy_seeds(sys.argv[5:], corpus, max_len)
        env = dict(os.environ, TMPDIR=tmp)
        # A fixed seed by default, so that the test command explores the same inputs on every
        # run and a crash found there is found again; DAFTARI_FUZZ_SEED=0 lets libFuzzer pick
        # one (a longer campaign by hand should), and the seed is printed either way.
        seed = os.environ.get("DAFTARI_FUZZ_SEED", "2")
        command = [
            target,
            f"-seed={seed}",
            f"-max_total_time={seconds}",
            f"-max_len={max_len}",
            "-timeout=10",
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
            f"-artifact_prefix={artifacts}/",
            corpus,
        ]
        print("Running", " ".join(command), flush=True)
        start = time.monotonic()
        run = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace")
        elapsed = time.monotonic() - start
        sys.stdout.write(run.stdout)
        # The final statistics, or after a crash the last progress line ("#1234 NEW ...").
        runs = re.findall(r"stat::number_of_executed_units: (\d+)", run.stdout)
        runs = runs or re.findall(r"^#(\d+)\s", run.stdout, re.MULTILINE)
        runs = runs[-1] if runs else "?"
        n_corpus = len(os.listdir(corpus))
        crashes = sorted(os.listdir(artifacts))
        if crashes:
            os.makedirs(findings, exist_ok=True)
            for c in crashes:
                shutil.copy(os.path.join(artifacts, c), findings)
        print(f"fuzz-{name}: {runs} executions in {elapsed:.0f} s, {len(crashes)} crashes, "
              f"corpus {n_seeds} seeds → {n_corpus} inputs")
        if run.returncode != 0 or crashes:
            print(f"fuzz-{name} failed (exit status {run.returncode}); "
                  f"the input that did it is in {findings}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
