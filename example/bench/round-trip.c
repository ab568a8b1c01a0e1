// What one blocking hand-off between two processes costs on this machine: the floor under an isolated plugin
// call, which is at least two of them (the call to the worker, the result back) plus one per storage call that
// waits for its answer. Ping-pongs 8 bytes over a Unix socketpair between a process and a forked child, each side
// waiting as PluginChannel does: non-blocking reads, up to YIELDS sched_yield calls, then poll(POLLIN).
//
//   cc -O2 -o /tmp/round-trip example/bench/round-trip.c
//   /tmp/round-trip 0; /tmp/round-trip 20                           # the two processes free to use any vCPU
//   taskset -c 0 /tmp/round-trip 0; taskset -c 0 /tmp/round-trip 20   # both on one vCPU, as under full load
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const long rounds = 200000;
static int yields;

static void receive(int fd, char *buffer) {
    int left = yields;
    for (;;) {
        if (recv(fd, buffer, 64, MSG_DONTWAIT) > 0) return;
        if (left-- > 0) {
            sched_yield();
            continue;
        }
        struct pollfd waiting = {fd, POLLIN, 0};
        poll(&waiting, 1, -1);
    }
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    yields = argc > 1 ? atoi(argv[1]) : 0;
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;
    char buffer[64] = {0};
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) {
        for (long i = 0; i < rounds; i++) {
            receive(fds[1], buffer);
            send(fds[1], buffer, 8, 0);
        }
        _exit(0);
    }
    double wall = seconds(CLOCK_MONOTONIC), cpu = seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (long i = 0; i < rounds; i++) {
        send(fds[0], buffer, 8, 0);
        receive(fds[0], buffer);
    }
    wall = seconds(CLOCK_MONOTONIC) - wall;
    cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    waitpid(child, 0, 0);
    printf("%d yields: %.2f us a round trip, %.2f us of the caller's CPU\n", yields, wall / rounds * 1e6,
           cpu / rounds * 1e6);
    return 0;
}
