#!/usr/bin/env python3
"""Edit-to-reload latency of `refwiki serve`: the time from saving a file to the `reload`
event that names the edited page (what a browser waits for).

usage: bench/latency.py REFWIKI WIKI_DIR PAGE_MD [RUNS]
Prints the median and all runs for a body edit and for a title change, in milliseconds.

After each edit it waits until the server is idle again (half the start-up time, at least
0.15 s: the rebuild of the other pages and of the search index continues after the reload), so
each edit measures one save of an editor, not a queue of saves.
"""
import os, re, socket, statistics, subprocess, sys, time

refwiki, wiki, page, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 15
started = time.perf_counter()
proc = subprocess.Popen([refwiki, "--root", wiki, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=None if os.environ.get("REFWIKI_PROFILE") else subprocess.DEVNULL, text=True)
try:
    port = int(re.search(r":(\d+)/", proc.stdout.readline()).group(1))
    settle = max(0.15, (time.perf_counter() - started) / 2)
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET /__refwiki/events HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n".encode())
    buf = b""

    def next_event(timeout=60):
        global buf
        sock.settimeout(timeout)
        while b"\n\n" not in buf.replace(b"\r\n", b"\n"):
            buf += sock.recv(65536)
        text = buf.replace(b"\r\n", b"\n").decode()
        block, rest = text.split("\n\n", 1)
        buf = rest.encode()
        name = re.search(r"event: ?(\S+)", block)
        data = "\n".join(l.split(":", 1)[1].strip() for l in block.split("\n") if l.startswith("data"))
        return (name.group(1) if name else "", data)

    while True:  # the hello event (skip chunk-size lines)
        name, _ = next_event()
        if name == "hello":
            break
    path = os.path.join(wiki, page)
    original = open(path, encoding="utf-8").read()
    slug = os.path.splitext(os.path.basename(page))[0]

    def measure(edit):
        samples = []
        for i in range(runs):
            text = edit(original, i)
            t0 = time.perf_counter()
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            while True:
                name, data = next_event()
                if name == "reload" and slug in data:
                    break
                if name == "error":
                    raise SystemExit("build error during benchmark:\n" + data)
            samples.append((time.perf_counter() - t0) * 1000)
            time.sleep(settle)
        return samples

    body = measure(lambda t, i: t.rstrip("\n") + f"\n\nBenchmark edit {i}.\n")
    # A retitled page keeps its old title as an alias, so links to it stay valid.
    def retitle(t, i):
        old = re.search(r'^title = "(.*)"$', t, flags=re.M).group(1)
        t = re.sub(r'^title = ".*"$', f'title = "{old} {i}"', t, count=1, flags=re.M)
        return re.sub(r'^aliases = \[', f'aliases = ["{old}", ', t, count=1, flags=re.M)
    title = measure(retitle)
    with open(path, "w", encoding="utf-8") as f:
        f.write(original)
    for label, s in (("body edit", body), ("title change", title)):
        print(f"{label}: median {statistics.median(s):.0f} ms (min {min(s):.0f}, max {max(s):.0f}, n={len(s)})")
finally:
    proc.kill()
