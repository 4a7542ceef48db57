// See include/CEpoll.h. Nothing but thin wrappers: errno is left for Swift to read.
#define _GNU_SOURCE
#include "CEpoll.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <pthread.h>

const uint32_t CEpoll_EPOLLIN = EPOLLIN;
const uint32_t CEpoll_EPOLLOUT = EPOLLOUT;
const uint32_t CEpoll_EPOLLERR = EPOLLERR;
const uint32_t CEpoll_EPOLLHUP = EPOLLHUP;
const int32_t CEpoll_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int32_t CEpoll_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int32_t CEpoll_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

size_t CEpoll_event_size(void) { return sizeof(struct epoll_event); }

int CEpoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int CEpoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int CEpoll_wait(int epfd, void *events, int capacity, int timeout_ms) {
    return epoll_wait(epfd, (struct epoll_event *)events, capacity, timeout_ms);
}

uint32_t CEpoll_event_flags(const void *events, int index) {
    return ((const struct epoll_event *)events)[index].events;
}

uint64_t CEpoll_event_data(const void *events, int index) {
    return ((const struct epoll_event *)events)[index].data.u64;
}

int CEpoll_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int CEpoll_timerfd_create(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int CEpoll_timerfd_settime_absolute(int fd, uint64_t monotonic_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    // A zero it_value would disarm the timer instead of firing it.
    if (monotonic_ns == 0) monotonic_ns = 1;
    spec.it_value.tv_sec = (time_t)(monotonic_ns / 1000000000ull);
    spec.it_value.tv_nsec = (long)(monotonic_ns % 1000000000ull);
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int CEpoll_timerfd_disarm(int fd) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    return timerfd_settime(fd, 0, &spec, NULL);
}

static int parse_numeric_address(const char *host, uint16_t port, CEpoll_address *out) {
    memset(out, 0, sizeof *out);
    struct sockaddr_in v4;
    memset(&v4, 0, sizeof v4);
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port);
        memcpy(out->bytes, &v4, sizeof v4);
        out->length = sizeof v4;
        return 0;
    }
    struct sockaddr_in6 v6;
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port);
        memcpy(out->bytes, &v6, sizeof v6);
        out->length = sizeof v6;
        return 0;
    }
    return -1;
}

int CEpoll_address_resolve(const char *host, uint16_t port, CEpoll_address *out) {
    if (parse_numeric_address(host, port, out) == 0) return 0;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(host, service, &hints, &result);
    if (rc != 0) return rc;
    if (result == NULL || result->ai_addrlen > sizeof out->bytes) {
        if (result) freeaddrinfo(result);
        return EAI_FAIL;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->bytes, result->ai_addr, result->ai_addrlen);
    out->length = (uint32_t)result->ai_addrlen;
    freeaddrinfo(result);
    return 0;
}

int CEpoll_address_family(const CEpoll_address *address) {
    return ((const struct sockaddr *)address->bytes)->sa_family;
}

int CEpoll_address_format(const CEpoll_address *address, char *out, size_t capacity) {
    char host[INET6_ADDRSTRLEN];
    const struct sockaddr *sa = (const struct sockaddr *)address->bytes;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address->bytes;
        if (!inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host)) return -1;
        return snprintf(out, capacity, "%s:%u", host, (unsigned)ntohs(v4->sin_port)) < (int)capacity ? 0 : -1;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address->bytes;
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host)) return -1;
        return snprintf(out, capacity, "[%s]:%u", host, (unsigned)ntohs(v6->sin6_port)) < (int)capacity ? 0 : -1;
    }
    return -1;
}

int CEpoll_socket_tcp(int family) {
    return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
}

int CEpoll_connect(int fd, const CEpoll_address *address) {
    return connect(fd, (const struct sockaddr *)address->bytes, address->length);
}

int CEpoll_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return -1;
    return error;
}

static int set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value);
}

int CEpoll_set_nodelay(int fd) { return set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1); }
int CEpoll_set_reuseaddr(int fd) { return set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1); }
int CEpoll_set_reuseport(int fd) { return set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1); }

int CEpoll_set_linger_zero(int fd) {
    struct linger option = { .l_onoff = 1, .l_linger = 0 };
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

int CEpoll_bind(int fd, const CEpoll_address *address) {
    return bind(fd, (const struct sockaddr *)address->bytes, address->length);
}

int CEpoll_local_address(int fd, CEpoll_address *out) {
    memset(out, 0, sizeof *out);
    socklen_t length = sizeof out->bytes;
    if (getsockname(fd, (struct sockaddr *)out->bytes, &length) != 0) return -1;
    out->length = length;
    return 0;
}

int CEpoll_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

ssize_t CEpoll_send(int fd, const void *bytes, size_t count) {
    return send(fd, bytes, count, MSG_NOSIGNAL);
}

ssize_t CEpoll_send3(int fd, const void *a, size_t a_count, const void *b, size_t b_count,
                     const void *c, size_t c_count) {
    struct iovec pieces[3];
    int count = 0;
    if (a_count > 0) { pieces[count].iov_base = (void *)a; pieces[count].iov_len = a_count; count++; }
    if (b_count > 0) { pieces[count].iov_base = (void *)b; pieces[count].iov_len = b_count; count++; }
    if (c_count > 0) { pieces[count].iov_base = (void *)c; pieces[count].iov_len = c_count; count++; }
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = pieces;
    message.msg_iovlen = (size_t)count;
    return sendmsg(fd, &message, MSG_NOSIGNAL);
}

int CEpoll_enable_receive_timestamps(int fd) { return set_int_option(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1); }

size_t CEpoll_receive_control_size(void) { return CMSG_SPACE(sizeof(struct timespec)); }

int CEpoll_tcp_loopback_pair(int fds[2]) {
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0) return -1;
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int client = -1, accepted = -1;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0
        || getsockname(listener, (struct sockaddr *)&address, &length) != 0) goto failed;
    client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // A blocking connect to a loopback listener with room in its backlog completes at once.
    if (client < 0 || connect(client, (struct sockaddr *)&address, length) != 0) goto failed;
    accepted = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (accepted < 0 || fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK) != 0) goto failed;
    close(listener);
    set_int_option(client, IPPROTO_TCP, TCP_NODELAY, 1);
    set_int_option(accepted, IPPROTO_TCP, TCP_NODELAY, 1);
    fds[0] = client;
    fds[1] = accepted;
    return 0;
failed:;
    int saved = errno;
    close(listener);
    if (client >= 0) close(client);
    if (accepted >= 0) close(accepted);
    errno = saved;
    return -1;
}

ssize_t CEpoll_recv_stamped(int fd, void *bytes, size_t count, void *control, size_t control_size,
                            uint64_t *stamp_ns) {
    struct iovec piece = { .iov_base = bytes, .iov_len = count };
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &piece;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = control_size;
    ssize_t received = recvmsg(fd, &message, 0);
    if (received <= 0) return received;
    // CMSG_* are macros over the kernel's layout: the one reason this is C.
    uint64_t stamp = 0;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS
            && header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec time;
            memcpy(&time, CMSG_DATA(header), sizeof time);
            stamp = (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
        }
    }
    *stamp_ns = stamp;
    return received;
}

long CEpoll_raise_nofile(long wanted) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if ((rlim_t)wanted <= limit.rlim_cur) return (long)limit.rlim_cur;
    rlim_t target = (rlim_t)wanted;
    if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max) target = limit.rlim_max;
    limit.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    return (long)limit.rlim_cur;
}

long CEpoll_nofile_hard(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    return limit.rlim_max == RLIM_INFINITY ? (long)1 << 30 : (long)limit.rlim_max;
}

static void fill_set(cpu_set_t *set, int first, int count) {
    CPU_ZERO(set);
    for (int cpu = first; cpu < first + count && cpu < CPU_SETSIZE; cpu++) CPU_SET(cpu, set);
}

int CEpoll_pin_thread(int first, int count) {
    cpu_set_t set;
    fill_set(&set, first, count);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0 ? 0 : -1;
}

int CEpoll_pin_process(int pid, int first, int count) {
    cpu_set_t set;
    fill_set(&set, first, count);
    return sched_setaffinity(pid, sizeof set, &set);
}

int CEpoll_online_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int CEpoll_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

void CEpoll_process_cpu_us(uint64_t *user, uint64_t *system) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) { *user = 0; *system = 0; return; }
    *user = (uint64_t)usage.ru_utime.tv_sec * 1000000ull + (uint64_t)usage.ru_utime.tv_usec;
    *system = (uint64_t)usage.ru_stime.tv_sec * 1000000ull + (uint64_t)usage.ru_stime.tv_usec;
}

long CEpoll_peak_rss_kib(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return usage.ru_maxrss;
}

static void int_term_mask(sigset_t *mask) {
    sigemptyset(mask);
    sigaddset(mask, SIGINT);
    sigaddset(mask, SIGTERM);
}

int CEpoll_signalfd_int_term(void) {
    sigset_t mask;
    int_term_mask(&mask);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int CEpoll_default_int_term(void) {
    sigset_t mask;
    int_term_mask(&mask);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    return pthread_sigmask(SIG_UNBLOCK, &mask, NULL) == 0 ? 0 : -1;
}

int CEpoll_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n != (ssize_t)sizeof info) return -1;
    return (int)info.ssi_signo;
}

void CEpoll_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }
