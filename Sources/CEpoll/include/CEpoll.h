// CEpoll: the few Linux syscalls and constants Swift cannot import cleanly.
//
// Glibc's Swift module does not export <sys/epoll.h>, <sys/eventfd.h>, <sys/timerfd.h> or
// <sys/signalfd.h>, and `struct epoll_event` is declared packed on x86-64 (12 bytes, alignment 1),
// which Swift imports with the wrong layout. So epoll events are reached only through the
// accessors below, and the epoll constants are re-declared with one fixed type. Also here: what
// takes macros (CPU sets, SIG_IGN, RLIM_INFINITY), sockaddr casts or setsockopt's untyped
// arguments. Anything Swift imports as it is (errno and its codes, read, write, listen) is used
// from Glibc directly.
#ifndef CEPOLL_H
#define CEPOLL_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

// MARK: epoll

extern const uint32_t CEpoll_EPOLLIN;
extern const uint32_t CEpoll_EPOLLOUT;
extern const uint32_t CEpoll_EPOLLERR;
extern const uint32_t CEpoll_EPOLLHUP;
extern const int32_t CEpoll_EPOLL_CTL_ADD;
extern const int32_t CEpoll_EPOLL_CTL_MOD;
extern const int32_t CEpoll_EPOLL_CTL_DEL;

/// Size in bytes of one `struct epoll_event` (12 on x86-64, 16 on arm64).
size_t CEpoll_event_size(void);

int CEpoll_create(void);
/// Adds, modifies or removes `fd` with `events`; `data` is returned with each event (a u64).
int CEpoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits into `events`, an array of `capacity` events allocated with CEpoll_event_size() each.
int CEpoll_wait(int epfd, void *events, int capacity, int timeout_ms);
uint32_t CEpoll_event_flags(const void *events, int index);
uint64_t CEpoll_event_data(const void *events, int index);

// MARK: eventfd and timerfd

int CEpoll_eventfd(void);
int CEpoll_timerfd_create(void);
/// Arms a one-shot timer for an absolute CLOCK_MONOTONIC time in nanoseconds (a past time fires at once).
int CEpoll_timerfd_settime_absolute(int fd, uint64_t monotonic_ns);
/// Disarms the timer.
int CEpoll_timerfd_disarm(int fd);

// MARK: sockets

/// A resolved IPv4 or IPv6 address, stored as a sockaddr_storage-sized blob.
typedef struct {
    uint8_t bytes[128];
    uint32_t length;
} CEpoll_address;

/// Resolves a numeric IPv4/IPv6 literal ("127.0.0.1", "::1") or a host name with getaddrinfo
/// (numeric service). Returns 0, or the getaddrinfo error.
int CEpoll_address_resolve(const char *host, uint16_t port, CEpoll_address *out);
int CEpoll_address_family(const CEpoll_address *address);
/// Formats an address as "HOST:PORT" (IPv6 as "[HOST]:PORT") into `out`. Returns 0 or -1.
int CEpoll_address_format(const CEpoll_address *address, char *out, size_t capacity);

/// A nonblocking, close-on-exec TCP socket for `family`.
int CEpoll_socket_tcp(int family);
/// Starts a nonblocking connect; returns 0 (connected), or -1 with errno (EINPROGRESS expected).
int CEpoll_connect(int fd, const CEpoll_address *address);
/// The pending error of a socket whose nonblocking connect finished (SO_ERROR), or -1.
int CEpoll_socket_error(int fd);
int CEpoll_set_nodelay(int fd);
int CEpoll_set_reuseaddr(int fd);
int CEpoll_set_reuseport(int fd);
/// SO_LINGER with a zero timeout: close() then sends RST instead of FIN (fault injection).
int CEpoll_set_linger_zero(int fd);
int CEpoll_bind(int fd, const CEpoll_address *address);
/// The address a socket is bound to (for port 0).
int CEpoll_local_address(int fd, CEpoll_address *out);
/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int CEpoll_accept(int fd);
/// send() with MSG_NOSIGNAL, so a peer that has gone away is EPIPE, never SIGPIPE.
ssize_t CEpoll_send(int fd, const void *bytes, size_t count);
/// sendmsg() of up to three pieces with MSG_NOSIGNAL (a template, a patched field, the rest).
ssize_t CEpoll_send3(int fd, const void *a, size_t a_count, const void *b, size_t b_count,
                     const void *c, size_t c_count);

// MARK: kernel receive timestamps

/// SO_TIMESTAMPNS: the kernel stamps each received segment (software, CLOCK_REALTIME) and hands
/// the stamp to recvmsg as a control message. Returns 0 or -1.
int CEpoll_enable_receive_timestamps(int fd);
/// Bytes of control buffer one receive timestamp needs (CMSG_SPACE of a struct timespec).
size_t CEpoll_receive_control_size(void);
/// recvmsg into `bytes` with the control buffer `control` (`control_size` bytes, from
/// CEpoll_receive_control_size, 8-byte aligned). When it returns bytes, `*stamp_ns` is the kernel's
/// receive time of the last segment the read consumed, in CLOCK_REALTIME nanoseconds, or 0 when no
/// timestamp came with them; otherwise `*stamp_ns` is left alone. Returns what recvmsg returns.
ssize_t CEpoll_recv_stamped(int fd, void *bytes, size_t count, void *control, size_t control_size,
                            uint64_t *stamp_ns);
/// A connected loopback TCP pair, both ends nonblocking and close-on-exec: `fds[0]` the
/// connecting end, `fds[1]` the accepted one. A probe for whether the kernel stamps received TCP
/// segments (UDP cannot tell: recvmsg stamps an unstamped datagram itself, at the read).
/// Returns 0, or -1 with errno.
int CEpoll_tcp_loopback_pair(int fds[2]);

// MARK: process

/// Raises the soft RLIMIT_NOFILE to min(wanted, hard). Returns the new soft limit, or -1.
long CEpoll_raise_nofile(long wanted);
/// The hard RLIMIT_NOFILE (or -1).
long CEpoll_nofile_hard(void);
/// Pins the calling thread to the CPUs in [first, first+count). Returns 0 or -1.
int CEpoll_pin_thread(int first, int count);
/// Pins the whole process (all threads created later inherit) to [first, first+count).
int CEpoll_pin_process(int pid, int first, int count);
int CEpoll_online_cpus(void);
/// pipe2 with O_CLOEXEC (Glibc's Swift module does not export pipe2).
int CEpoll_pipe_cloexec(int fds[2]);
/// CPU time of this process in microseconds (user, system), from getrusage.
void CEpoll_process_cpu_us(uint64_t *user, uint64_t *system);
/// Peak resident set size of this process in KiB.
long CEpoll_peak_rss_kib(void);
/// Blocks SIGINT, SIGTERM and SIGPIPE in the calling thread (threads created after inherit it)
/// and returns a nonblocking signalfd for SIGINT and SIGTERM, so signals arrive as events.
int CEpoll_signalfd_int_term(void);
/// Gives SIGINT and SIGTERM their default action and unblocks them on the calling thread (a
/// process may inherit them blocked or ignored, e.g. when started from a libdispatch thread).
int CEpoll_default_int_term(void);
/// Reads one signal from a signalfd; returns the signal number, or -1.
int CEpoll_signalfd_read(int fd);
/// Ignores SIGPIPE for the process.
void CEpoll_ignore_sigpipe(void);

#endif
