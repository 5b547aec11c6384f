#!/usr/bin/env python3
"""`make readme`: the README's shell examples, run as pasted against a live server.

Every ```sh block of README.md runs, in the order the README shows them, in one bash
session (so `TOKEN=…` set in one block is there in the next), in a fresh folder where
`make run` would have been typed: `./target/release/authkit` is this checkout's binary and
`data/` the server's data folder (its development mail folder `data/outbox/` included).
Only the port differs: 127.0.0.1:3000 (and localhost:3000, and the metrics port 9100 of
the example) become free ports of this run.

A block is skipped only when the line right before it says why:
    <!-- readme-check: skip (needs a PostgreSQL server) -->

A line `# → …` after a command is what the README says it prints. When it is JSON (or a
status such as 204, or a status and JSON, of which curl -s prints only the JSON), the
output must match it; `…` stands for anything up to the next `"`, `]` or `}`. Other
`# →` lines describe the output in words and are not compared. Any command that fails
(`set -euo pipefail`) fails the check.
"""

import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "authkit"
SKIP = re.compile(r"<!-- readme-check: skip \((.+)\) -->")


def blocks(readme):
    """(line number, lines, skip reason or None) of every ```sh block."""
    lines = readme.splitlines()
    found, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start = i + 1
            end = start
            while lines[end].strip() != "```":
                end += 1
            marker = SKIP.match(lines[i - 1].strip()) if i > 0 else None
            found.append((start + 1, lines[start:end], marker.group(1) if marker else None))
            i = end
        i += 1
    return found


def segments(lines):
    """The block cut after each `# →` line: (commands, expected output or None)."""
    out, code, i = [], [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# →"):
            expected = line[len("# →"):].strip()
            # `#   more` lines continue a description of the output.
            while i + 1 < len(lines) and lines[i + 1].startswith("#   "):
                i += 1
            out.append((code, expected))
            code = []
        else:
            code.append(line)
        i += 1
    if any(line.strip() for line in code):
        out.append((code, None))
    return out


def pattern(expected):
    """The regular expression of an expected output, `…` matching anything up to `"`, `]`, `}`."""
    pieces = re.split(r"…[^\"\]}]*", expected)
    return re.compile(".*".join(re.escape(piece) for piece in pieces), re.S)


def comparable(expected):
    """What of an expected output is compared with curl's output, or None for words."""
    status = re.match(r"^(\d{3})(?: (.*))?$", expected)
    if status:
        return status.group(2) or status.group(1)
    if expected.startswith(("{", "[")):
        return expected
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if not BINARY.exists():
        sys.exit(f"readme-check: {BINARY} is missing: run make build")
    readme = (ROOT / "README.md").read_text()
    port, metrics_port = free_port(), free_port()
    work = pathlib.Path(tempfile.mkdtemp(prefix="authkit-readme-"))
    (work / "target").symlink_to(ROOT / "target")
    env = dict(os.environ)
    for name in [n for n in env if n.startswith(("LEPTOS_", "DATABASE_", "DATA_DIR", "JWT_", "SMTP_", "PUBLIC_URL"))]:
        del env[name]
    env.update(
        LEPTOS_SITE_ROOT=str(ROOT / "target" / "site"),
        LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
        LEPTOS_ENV="PROD",
        COOKIE_SECURE="false",
        METRICS_ADDR=f"127.0.0.1:{metrics_port}",
        RUST_LOG="warn",
    )
    server = subprocess.Popen([str(BINARY)], cwd=work, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("readme-check: the server did not come up")
        return run(readme, work, env, port, metrics_port)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


def run(readme, work, env, port, metrics_port):
    script = ["set -euo pipefail"]
    checks, skipped, ran = [], [], 0
    outputs = work / "outputs"
    outputs.mkdir()
    for line, lines, skip in blocks(readme):
        if skip:
            skipped.append((line, skip))
            continue
        ran += 1
        for code, expected in segments(lines):
            n = len(checks)
            text = "\n".join(code)
            text = text.replace("127.0.0.1:3000", f"127.0.0.1:{port}").replace("localhost:3000", f"127.0.0.1:{port}")
            text = text.replace("127.0.0.1:9100", f"127.0.0.1:{metrics_port}")
            script.append(f"echo 'README.md line {line}, part {n}' > {outputs}/current")
            script.append(f"{{\n{text}\n}} > {outputs}/{n} 2>&1")
            checks.append((line, text, expected))
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env)
    failures = []
    if result.returncode != 0:
        where = (outputs / "current").read_text().strip()
        number = int(where.rsplit(" ", 1)[1])
        output = (outputs / str(number)).read_text()
        failures.append(f"{where}: a command failed (exit {result.returncode})\n{checks[number][1]}\n--- printed:\n{output}")
    compared = 0
    for n, (line, text, expected) in enumerate(checks):
        target = comparable(expected) if expected else None
        path = outputs / str(n)
        if target is None or not path.exists() or failures:
            continue
        compared += 1
        actual = path.read_text().strip()
        if not pattern(target).fullmatch(actual):
            failures.append(f"README.md line {line}: expected\n  {expected}\nbut it printed\n  {actual}\nafter\n{text}")
    print(f"readme-check: {ran} blocks run, {compared} outputs compared with the README, {len(skipped)} skipped:")
    for line, reason in skipped:
        print(f"  line {line}: {reason}")
    for failure in failures:
        print(f"\nFAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
