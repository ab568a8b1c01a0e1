// The Linux system calls the HTTP server's Posix layer needs and Swift's Glibc module does not export:
// epoll, eventfd, accept4 and thread naming.
#ifndef CHTTPLINUX_H
#define CHTTPLINUX_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/// accept4(2): accepts a connection with flags (SOCK_NONBLOCK, SOCK_CLOEXEC) applied atomically.
int chttp_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

/// Names the calling thread (at most 15 bytes are kept).
int chttp_name_current_thread(const char *name);

#endif
