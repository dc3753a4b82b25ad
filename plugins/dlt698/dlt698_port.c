/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the line, a serial port or a TCP connection.  Opened lazily
 * (O_NONBLOCK), every wait a poll() bounded by a deadline, so no call
 * outlives its timeout.  After an open or I/O error the line is closed and
 * reopened no sooner than a backoff (500 ms doubling up to 30 s); until then
 * each transaction fails at once with the last error.
 *
 * Serial: raw termios with the bus's speed, data bits, parity and stop bits
 * (DL/T 698.45 RS-485 lines run 8E1 at 2400 or 9600 baud).  A pty has no
 * parity: tcsetattr either drops PARENB or fails with EINVAL (DESIGN.md,
 * Testing); both are a warning and the port runs without parity.
 *
 * TCP: a meter (or a serial server in front of one) at host:port; the host
 * name is resolved with getaddrinfo (a numeric address does not block), the
 * connect is non-blocking and bounded by the transaction's deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dlt698.h"

int64_t d698_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void d698_sleep_until(int64_t when)
{
        struct timespec ts;

        if (when <= d698_now_ms())
                return;
        ts.tv_sec = when / 1000;
        ts.tv_nsec = (long)(when % 1000) * 1000000L;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

int d698_baud_speed(int baud, speed_t *out)
{
        static const struct {
                int baud;
                speed_t speed;
        } table[] = {{1200, B1200},   {2400, B2400},   {4800, B4800},   {9600, B9600},
                     {19200, B19200}, {38400, B38400}, {57600, B57600}, {115200, B115200}};

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (table[i].baud == baud) {
                        *out = table[i].speed;
                        return 0;
                }
        return -1;
}

static void raw_mode(struct termios *t, const struct d698_link *l, char parity)
{
        cfmakeraw(t);
        t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
        t->c_cflag |= CLOCAL | CREAD | (l->data_bits == 7 ? CS7 : CS8);
        t->c_cflag |= l->stop_bits == 2 ? CSTOPB : 0;
        t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | INPCK);
        if (parity != 'N') {
                t->c_cflag |= PARENB | (parity == 'O' ? PARODD : 0);
                t->c_iflag |= INPCK;
        }
        t->c_cc[VMIN] = 0;
        t->c_cc[VTIME] = 0;
        cfsetispeed(t, l->speed);
        cfsetospeed(t, l->speed);
}

static void no_parity(struct d698_link *l, const char *how)
{
        l->host->log(l->ctx, l->parity_off ? MB_LOG_DEBUG : MB_LOG_WARNING,
                     "%s: parity %c not supported (%s; a pty?): continuing without parity; a "
                     "real RS-485 port needs 8E1 for DL/T 698.45",
                     l->device, l->parity, how);
        l->parity_off = 1;
}

/* Open and configure the serial port; returns the fd or -1 with errno. */
static int open_serial(struct d698_link *l)
{
        struct termios t, got;
        int fd = open(l->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), e;

        if (fd < 0)
                return -1;
        if (tcgetattr(fd, &t) < 0)
                goto fail;
        raw_mode(&t, l, l->parity);
        if (tcsetattr(fd, TCSANOW, &t) < 0) {
                if (errno != EINVAL || l->parity == 'N')
                        goto fail;
                no_parity(l, "tcsetattr: EINVAL");
                raw_mode(&t, l, 'N');
                if (tcsetattr(fd, TCSANOW, &t) < 0)
                        goto fail;
        } else if (l->parity != 'N' && tcgetattr(fd, &got) == 0 && !(got.c_cflag & PARENB)) {
                no_parity(l, "the driver cleared PARENB");
        }
        tcflush(fd, TCIOFLUSH);
        return fd;
fail:
        e = errno;
        close(fd);
        errno = e;
        return -1;
}

static int wait_fd(int fd, short events, int64_t deadline, short *revents)
{
        struct pollfd p = {.fd = fd, .events = events};
        int rc;

        for (;;) {
                int64_t left = deadline - d698_now_ms();
                rc = poll(&p, 1, (int)(left < 0 ? 0 : left > 60000 ? 60000 : left));
                if (rc < 0 && errno == EINTR)
                        continue;
                if (rc == 0 && deadline - d698_now_ms() > 0)
                        continue;
                *revents = rc > 0 ? p.revents : 0;
                return rc;
        }
}

/* Connect to host:port within the deadline; returns the fd or -1 with a
 * message in what. */
static int open_tcp(struct d698_link *l, int64_t deadline, char *what, size_t cap)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
        char port[8];
        int fd = -1, rc, one = 1;

        snprintf(port, sizeof(port), "%d", l->port);
        rc = getaddrinfo(l->device, port, &hints, &res);
        if (rc != 0) {
                snprintf(what, cap, "resolve %s: %s", l->device, gai_strerror(rc));
                return -1;
        }
        snprintf(what, cap, "connect %s:%d: no address", l->device, l->port);
        for (ai = res; ai && fd < 0; ai = ai->ai_next) {
                short rev = 0;
                int soerr = 0;
                socklen_t len = sizeof(soerr);
                fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        continue;
                rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
                if (rc < 0 && errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline, &rev) > 0 &&
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0)
                        rc = soerr ? (errno = soerr, -1) : 0;
                else if (rc < 0 && errno == EINPROGRESS)
                        errno = ETIMEDOUT;
                if (rc < 0) {
                        snprintf(what, cap, "connect %s:%d: %s", l->device, l->port,
                                 strerror(errno));
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(res);
        if (fd >= 0)
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
}

void d698_port_close(struct d698_link *l)
{
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
        l->rx_len = 0;
}

static void failed(struct d698_link *l, const char *what)
{
        int64_t delay = D698_BACKOFF_MIN_MS;

        d698_port_close(l);
        if (l->failures < 30)
                l->failures++;
        for (int i = 1; i < l->failures && delay < D698_BACKOFF_MAX_MS; i++)
                delay *= 2;
        l->reopen_at = d698_now_ms() + (delay > D698_BACKOFF_MAX_MS ? D698_BACKOFF_MAX_MS : delay);
        snprintf(l->last_error, sizeof(l->last_error), "%s", what);
}

int d698_port_ready(struct d698_link *l, int64_t deadline, mb_err *err)
{
        char what[160];
        int fd;

        if (l->fd >= 0)
                return MB_OK;
        if (l->failures && d698_now_ms() < l->reopen_at)
                return mb_err_set(err, MB_EIO, "%s: reopening in %lld ms after: %s", l->device,
                                  (long long)(l->reopen_at - d698_now_ms()), l->last_error);
        if (l->tcp) {
                fd = open_tcp(l, deadline, what, sizeof(what));
        } else {
                fd = open_serial(l);
                if (fd < 0)
                        snprintf(what, sizeof(what), "open %s: %s", l->device, strerror(errno));
        }
        if (fd < 0) {
                failed(l, what);
                return mb_err_set(err, MB_EIO, "%s", what);
        }
        if (l->failures)
                l->host->log(l->ctx, MB_LOG_NOTICE, "%s reopened after %d failure%s", l->device,
                             l->failures, l->failures == 1 ? "" : "s");
        l->fd = fd;
        l->failures = 0;
        l->rx_len = 0;
        return MB_OK;
}

static int io_error(struct d698_link *l, const char *op, int e, mb_err *err)
{
        char what[160];

        snprintf(what, sizeof(what), "%s %s: %s", op, l->device, strerror(e));
        failed(l, what);
        return mb_err_set(err, MB_EIO, "%s", what);
}

int d698_port_write(struct d698_link *l, const uint8_t *buf, size_t n, int64_t deadline,
                    mb_err *err)
{
        size_t done = 0;
        short rev;

        while (done < n) {
                ssize_t w = write(l->fd, buf + done, n - done);
                if (w > 0) {
                        done += (size_t)w;
                        continue;
                }
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno != EAGAIN)
                        return io_error(l, "write", errno, err);
                if (wait_fd(l->fd, POLLOUT, deadline, &rev) < 0)
                        return io_error(l, "poll", errno, err);
                if (rev & (POLLERR | POLLHUP | POLLNVAL))
                        return io_error(l, "write", EIO, err);
                if (!(rev & POLLOUT))
                        return mb_err_set(err, MB_ETIMEDOUT, "%s: write did not complete in time",
                                          l->device);
        }
        return MB_OK;
}

int d698_port_read(struct d698_link *l, int64_t deadline, mb_err *err)
{
        size_t room;
        short rev;
        ssize_t n;

        if (l->rx_len == sizeof(l->rx))
                l->rx_len = 0; /* the parser keeps less than a frame: cannot happen */
        room = sizeof(l->rx) - l->rx_len;
        for (;;) {
                if (wait_fd(l->fd, POLLIN, deadline, &rev) < 0)
                        return io_error(l, "poll", errno, err);
                if (rev == 0)
                        return MB_ETIMEDOUT;
                if (!(rev & POLLIN))
                        return io_error(l, "read", l->tcp ? ECONNRESET : EIO, err);
                n = read(l->fd, l->rx + l->rx_len, room);
                if (n > 0) {
                        l->rx_len += (size_t)n;
                        return MB_OK;
                }
                if (n == 0)
                        return io_error(l, "read", l->tcp ? ECONNRESET : EIO, err);
                if (errno != EAGAIN && errno != EINTR)
                        return io_error(l, "read", errno, err);
                if (d698_now_ms() >= deadline)
                        return MB_ETIMEDOUT;
        }
}

void d698_port_discard_input(struct d698_link *l)
{
        uint8_t junk[256];

        if (!l->tcp)
                tcflush(l->fd, TCIFLUSH);
        while (read(l->fd, junk, sizeof(junk)) > 0)
                ;
        l->rx_len = 0;
}
