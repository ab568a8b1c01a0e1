"""Opens COUNT keep-alive connections to 127.0.0.1:PORT, sends one request on each, leaves them idle, and
reports the server's (PID) RSS before and after, and the latency of a fresh request while they are held."""
import os
import socket
import sys
import time

pid, port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
REQUEST = b'POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'


def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def threads():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_request():
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(REQUEST)
    data = s.recv(4096)
    s.close()
    return data.startswith(b"HTTP/1.1 200"), (time.monotonic() - start) * 1000


for _ in range(50):
    try:
        one_request()
        break
    except OSError:
        time.sleep(0.1)

before = rss_kb()
conns = []
start = time.monotonic()
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(REQUEST)
    conns.append(s)
answered = 0
for s in conns:
    if s.recv(4096).startswith(b"HTTP/1.1 200"):
        answered += 1
opened = time.monotonic() - start
# Idle cost: the timer sweeps over all connections every 250 ms.
cpu_start = cpu_seconds()
time.sleep(3)
idle_cpu = (cpu_seconds() - cpu_start) / 3 * 100
after = rss_kb()
ok, ms = one_request()
# The held connections are still alive: a second request on a few of them works.
reuse_ok = 0
for s in conns[:: max(1, count // 100)]:
    s.sendall(REQUEST)
    if s.recv(4096).startswith(b"HTTP/1.1 200"):
        reuse_ok += 1
print(f"connections={count} answered={answered} opened_in={opened:.1f}s server_threads={threads()} idle_cpu={idle_cpu:.1f}%")
print(f"rss_before={before / 1024:.1f}MB rss_after={after / 1024:.1f}MB growth={(after - before) / 1024:.1f}MB")
print(f"fresh_request_ok={ok} fresh_request_ms={ms:.2f} reused_ok={reuse_ok}/{len(conns[:: max(1, count // 100)])}")
for s in conns:
    s.close()
sys.exit(0 if ok and answered == count and after - before < 200 * 1024 else 1)
