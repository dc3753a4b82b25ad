/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: the serial port.  Opened lazily (O_NOCTTY | O_NONBLOCK), raw
 * termios with the bus's speed, data bits, parity and stop bits (DL/T 645
 * lines are 8E1, mostly at 2400 baud); every wait is a poll() bounded by a
 * deadline, so no call outlives its timeout.  After an open or I/O error the
 * port is closed and reopened no sooner than a backoff (500 ms doubling up to
 * 30 s); until then each transaction fails at once with the last error.
 *
 * A pty has no parity: tcsetattr either drops PARENB silently or fails with
 * EINVAL (DESIGN.md, Testing).  Both are a warning, and the port runs
 * without parity; a real RS-485 port keeps 8E1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dlt645.h"

int64_t dlt_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void dlt_sleep_until(int64_t when)
{
        struct timespec ts;

        if (when <= dlt_now_ms())
                return;
        ts.tv_sec = when / 1000;
        ts.tv_nsec = (long)(when % 1000) * 1000000L;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

int dlt_baud_speed(int baud, speed_t *out)
{
        static const struct {
                int baud;
                speed_t speed;
        } t[] = {
            {300, B300},     {600, B600},     {1200, B1200},     {1800, B1800},
            {2400, B2400},   {4800, B4800},   {9600, B9600},     {19200, B19200},
            {38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                if (t[i].baud == baud) {
                        *out = t[i].speed;
                        return 0;
                }
        }
        return -1;
}

static void set_frame(struct termios *t, const struct dlt_link *l, int parity)
{
        cfmakeraw(t);
        t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
        t->c_cflag |= CLOCAL | CREAD | (l->data_bits == 7 ? CS7 : CS8);
        if (parity != 'N')
                t->c_cflag |= PARENB | (parity == 'O' ? PARODD : 0);
        if (l->stop_bits == 2)
                t->c_cflag |= CSTOPB;
        t->c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY | INPCK);
        if (parity != 'N')
                t->c_iflag |= INPCK;
        t->c_cc[VMIN] = 0;
        t->c_cc[VTIME] = 0;
        cfsetispeed(t, l->speed);
        cfsetospeed(t, l->speed);
}

static void parity_warning(struct dlt_link *l, const struct dlt_meter *m, const char *how)
{
        int level = l->parity_off ? MB_LOG_DEBUG : MB_LOG_WARNING;

        m->host->log(m->ctx, level,
                     "%s: parity %c not supported (%s; a pty?): continuing without parity; a "
                     "real RS-485 port needs 8E1 for DL/T 645",
                     l->device, l->parity, how);
        l->parity_off = 1;
}

/* termios on an open fd; returns 0 or -1 with errno. */
static int configure(struct dlt_link *l, const struct dlt_meter *m, int fd)
{
        struct termios t, got;

        if (tcgetattr(fd, &t) < 0)
                return -1;
        set_frame(&t, l, l->parity);
        if (tcsetattr(fd, TCSANOW, &t) < 0) {
                if (errno != EINVAL || l->parity == 'N')
                        return -1;
                parity_warning(l, m, "tcsetattr: EINVAL");
                set_frame(&t, l, 'N');
                if (tcsetattr(fd, TCSANOW, &t) < 0)
                        return -1;
        } else if (l->parity != 'N' && tcgetattr(fd, &got) == 0 && !(got.c_cflag & PARENB)) {
                parity_warning(l, m, "the driver cleared PARENB");
        }
        tcflush(fd, TCIOFLUSH);
        return 0;
}

void dlt_port_close(struct dlt_link *l)
{
        if (l->fd >= 0)
                close(l->fd);
        l->fd = -1;
        l->rx_len = 0;
}

void dlt_port_failed(struct dlt_link *l, const char *what)
{
        int64_t delay = DLT_BACKOFF_MIN_MS;

        dlt_port_close(l);
        if (l->failures < 30)
                l->failures++;
        for (int i = 1; i < l->failures && delay < DLT_BACKOFF_MAX_MS; i++)
                delay *= 2;
        if (delay > DLT_BACKOFF_MAX_MS)
                delay = DLT_BACKOFF_MAX_MS;
        l->reopen_at = dlt_now_ms() + delay;
        snprintf(l->last_error, sizeof(l->last_error), "%s", what);
}

int dlt_port_ready(struct dlt_link *l, const struct dlt_meter *m, mb_err *err)
{
        char what[160];
        int fd, e;

        if (l->fd >= 0)
                return MB_OK;
        if (l->failures && dlt_now_ms() < l->reopen_at)
                return mb_err_set(err, MB_EIO, "%s: reopening in %lld ms after: %s", l->device,
                                  (long long)(l->reopen_at - dlt_now_ms()), l->last_error);
        fd = open(l->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 || configure(l, m, fd) < 0) {
                e = errno;
                snprintf(what, sizeof(what), "%s %s: %s", fd < 0 ? "open" : "configure", l->device,
                         strerror(e));
                if (fd >= 0)
                        close(fd);
                dlt_port_failed(l, what);
                return mb_err_set(err, MB_EIO, "%s", what);
        }
        if (l->failures)
                m->host->log(m->ctx, MB_LOG_NOTICE, "%s reopened after %d failure%s", l->device,
                             l->failures, l->failures == 1 ? "" : "s");
        else
                m->host->log(m->ctx, MB_LOG_DEBUG, "%s open at %d baud, %d%c%d", l->device, l->baud,
                             l->data_bits, l->parity_off ? 'N' : l->parity, l->stop_bits);
        l->fd = fd;
        l->failures = 0;
        l->rx_len = 0;
        return MB_OK;
}

static int io_error(struct dlt_link *l, const char *op, int e, mb_err *err)
{
        char what[160];

        snprintf(what, sizeof(what), "%s %s: %s", op, l->device, strerror(e));
        dlt_port_failed(l, what);
        return mb_err_set(err, MB_EIO, "%s", what);
}

static int wait_fd(struct dlt_link *l, short events, int64_t deadline, short *revents)
{
        struct pollfd p = {.fd = l->fd, .events = events};
        int64_t left;
        int rc;

        for (;;) {
                left = deadline - dlt_now_ms();
                if (left < 0)
                        left = 0;
                rc = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
                if (rc < 0 && errno == EINTR)
                        continue;
                if (rc == 0 && left > 60000)
                        continue;
                *revents = rc > 0 ? p.revents : 0;
                return rc;
        }
}

int dlt_port_write(struct dlt_link *l, const uint8_t *buf, size_t n, int64_t deadline, mb_err *err)
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
                if (wait_fd(l, POLLOUT, deadline, &rev) < 0)
                        return io_error(l, "poll", errno, err);
                if (rev & (POLLERR | POLLHUP | POLLNVAL))
                        return io_error(l, "write", EIO, err);
                if (!(rev & POLLOUT))
                        return mb_err_set(err, MB_ETIMEDOUT, "%s: write did not complete in time",
                                          l->device);
        }
        return MB_OK;
}

int dlt_port_read(struct dlt_link *l, int64_t deadline, mb_err *err)
{
        size_t room = sizeof(l->rx) - l->rx_len;
        short rev;
        ssize_t n;

        if (room == 0) {
                /* The parser keeps at most one frame's worth: cannot happen. */
                l->rx_len = 0;
                room = sizeof(l->rx);
        }
        for (;;) {
                if (wait_fd(l, POLLIN, deadline, &rev) < 0)
                        return io_error(l, "poll", errno, err);
                if (rev == 0)
                        return MB_ETIMEDOUT;
                if (!(rev & POLLIN))
                        return io_error(l, "read", EIO, err);
                n = read(l->fd, l->rx + l->rx_len, room);
                if (n > 0) {
                        l->rx_len += (size_t)n;
                        return MB_OK;
                }
                if (n == 0)
                        return io_error(l, "read", EIO, err);
                if (errno != EAGAIN && errno != EINTR)
                        return io_error(l, "read", errno, err);
                if (dlt_now_ms() >= deadline)
                        return MB_ETIMEDOUT;
        }
}

void dlt_port_discard_input(struct dlt_link *l)
{
        uint8_t junk[256];

        tcflush(l->fd, TCIFLUSH);
        while (read(l->fd, junk, sizeof(junk)) > 0)
                ;
        l->rx_len = 0;
}
