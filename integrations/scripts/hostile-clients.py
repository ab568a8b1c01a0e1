#!/usr/bin/env python3
"""Hostile clients for integrations/scripts/hostile-load.sh; standard library only.

  hostile-clients.py slowloris HOST PORT N SECONDS     N connections that send a header line every 2 s and reconnect
                                                       when cut (headers never finish)
  hostile-clients.py trickle HOST PORT N SECONDS       N connections that send full headers, then one body byte every 2 s
  hostile-clients.py parallel HOST PORT N SECONDS PATH BODY
                                                       N clients, each POSTing BODY to PATH again as soon as it is
                                                       answered (closed loop)
  hostile-clients.py abandon HOST PORT N SECONDS PATH  N clients, each POSTing to PATH and hanging up after 1 s,
                                                       then again
Connections come from $SOURCE_ADDRESS (default 127.0.0.2: Linux routes all of 127/8 to loopback), so the host
sees the attackers as a client other than the benchmark's own (127.0.0.1). Prints one line: what was sent and how
it was answered.
"""
import asyncio
import collections
import os
import sys

SOURCE = (os.environ.get("SOURCE_ADDRESS", "127.0.0.2"), 0)


async def slowloris(host, port, seconds, stats, body_trickle=False):
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=SOURCE)
            stats["connections"] += 1
            if body_trickle:
                writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            else:
                writer.write(b"POST /hook HTTP/1.1\r\nHost: x\r\n")
            while loop.time() < end:
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(1024), 2)
                    if not data:
                        stats["cut"] += 1
                        break
                    stats["answered " + data.split(b" ", 2)[1].decode(errors="replace")] += 1
                    break
                except asyncio.TimeoutError:
                    writer.write(b"{" if body_trickle else b"X-Slow: 1\r\n")
            writer.close()
        except OSError as error:
            stats["refused: " + type(error).__name__] += 1
            await asyncio.sleep(0.5)


def request(path, body):
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def parallel(host, port, seconds, stats, path, body):
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    raw = request(path, body)
    while loop.time() < end:
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=SOURCE)
            while loop.time() < end:
                writer.write(raw)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1].decode()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                stats[status] += 1
            writer.close()
        except (OSError, asyncio.IncompleteReadError) as error:
            stats["error: " + type(error).__name__] += 1
            await asyncio.sleep(0.1)


async def abandon(host, port, seconds, stats, path):
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    raw = request(path, b"{}")
    while loop.time() < end:
        try:
            reader, writer = await asyncio.open_connection(host, port, local_addr=SOURCE)
            writer.write(raw)
            await writer.drain()
            try:
                head = await asyncio.wait_for(reader.read(1024), 1)
                stats["answered " + head.split(b" ", 2)[1].decode()] += 1
            except asyncio.TimeoutError:
                stats["abandoned"] += 1
            writer.transport.abort()
        except OSError as error:
            stats["error: " + type(error).__name__] += 1
            await asyncio.sleep(0.1)


async def main(argv):
    mode, host, port, count, seconds = argv[1], argv[2], int(argv[3]), int(argv[4]), float(argv[5])
    stats = collections.Counter()
    if mode == "slowloris":
        tasks = [slowloris(host, port, seconds, stats) for _ in range(count)]
    elif mode == "trickle":
        tasks = [slowloris(host, port, seconds, stats, body_trickle=True) for _ in range(count)]
    elif mode == "parallel":
        tasks = [parallel(host, port, seconds, stats, argv[6], argv[7].encode()) for _ in range(count)]
    elif mode == "abandon":
        tasks = [abandon(host, port, seconds, stats, argv[6]) for _ in range(count)]
    else:
        raise SystemExit(__doc__)
    await asyncio.gather(*tasks)
    print(f"{mode} x{count}: " + ", ".join(f"{key} {value}" for key, value in sorted(stats.items())), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 6:
        raise SystemExit(__doc__)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(sys.argv))
