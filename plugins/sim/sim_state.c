/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: the optional state file (option state_file), so that a simulated meter
 * keeps its registers and relay across restarts like real hardware.
 *
 * Saved after every successful read and control and when the meter is freed:
 * written to STATE.tmp, fsync'd, renamed over STATE, then the directory is
 * fsync'd, so a crash leaves either the old or the new file, never a torn
 * one.  Loaded lazily at the first read or control (meter_new does no I/O).
 * A file that is missing starts the meter at start_wh; one that exists but
 * cannot be read or parsed also starts it at start_wh and flags the next
 * reading MB_Q_REGISTER_RESET, since its register then went backwards.
 *
 * Format: text, one "key values" line each, checked strictly:
 *
 *   meterbox-sim-state 1
 *   import_wh 1234
 *   rate_wh 0 400 600 234        sharp peak flat valley
 *   rate_acc 0 12 3599999999 0   remainders in mW·ms
 *   relay 1                      enum mb_relay_state
 *   protect 0
 *   alarm 0
 *   reads 42                     meter_read calls so far
 *   reset_done 0                 fault_reset_at already fired
 *   wall_ms 1700000000000        UTC time of these values
 *   frozen 1 1100 1698768000     valid, register, UTC seconds
 *   demand 4500000 1700000000 4600000 1698768000
 *                                this month's maximum demand (mW) and when,
 *                                last month's frozen and when it froze
 *                                (0 0: none); optional, for older files
 *   end
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define STATE_MAGIC "meterbox-sim-state 1"

enum {
        K_IMPORT,
        K_RATES,
        K_ACC,
        K_RELAY,
        K_PROTECT,
        K_ALARM,
        K_READS,
        K_RESET,
        K_WALL,
        K_FROZEN,
        K_DEMAND,
        K_N
};

static const struct {
        const char *name;
        int count; /* how many integers follow the key */
} keys[K_N] = {
    [K_IMPORT] = {"import_wh", 1},    [K_RATES] = {"rate_wh", MB_RATES},
    [K_ACC] = {"rate_acc", MB_RATES}, [K_RELAY] = {"relay", 1},
    [K_PROTECT] = {"protect", 1},     [K_ALARM] = {"alarm", 1},
    [K_READS] = {"reads", 1},         [K_RESET] = {"reset_done", 1},
    [K_WALL] = {"wall_ms", 1},        [K_FROZEN] = {"frozen", 3},
    [K_DEMAND] = {"demand", 4},
};

struct saved {
        int64_t v[K_N][MB_RATES];
        unsigned seen; /* one bit per key */
};

/* "N N N": exactly count decimal integers separated by single spaces. */
static int parse_values(int64_t *out, int count, const char *v)
{
        for (int i = 0; i < count; i++) {
                char *end;

                if (i > 0 && *v++ != ' ')
                        return -1;
                if (!(*v == '-' || (*v >= '0' && *v <= '9')))
                        return -1;
                errno = 0;
                out[i] = strtoll(v, &end, 10);
                if (errno || end == v)
                        return -1;
                v = end;
        }
        return *v == '\0' ? 0 : -1;
}

static int parse_line(struct saved *s, char *line)
{
        char *v = strchr(line, ' ');

        line[strcspn(line, "\n")] = '\0';
        if (!v)
                return -1;
        *v++ = '\0';
        for (int k = 0; k < K_N; k++) {
                if (strcmp(line, keys[k].name) != 0)
                        continue;
                if (s->seen & (1u << k))
                        return -1;
                s->seen |= 1u << k;
                return parse_values(s->v[k], keys[k].count, v);
        }
        return -1;
}

static int is_flag(int64_t v)
{
        return v == 0 || v == 1;
}

static const char *check(const struct saved *s)
{
        int64_t sum = 0;

        if ((s->seen | 1u << K_DEMAND) != (1u << K_N) - 1) /* demand: files of older sims lack it */
                return "a key is missing";
        for (int i = 0; i < 4; i++)
                if (s->v[K_DEMAND][i] < 0)
                        return "a maximum demand is negative";
        for (int i = 0; i < MB_RATES; i++) {
                if (s->v[K_RATES][i] < 0 || s->v[K_ACC][i] < 0 || s->v[K_ACC][i] >= SIM_MWMS_PER_WH)
                        return "a rate register is out of range";
                sum += s->v[K_RATES][i];
        }
        if (sum != s->v[K_IMPORT][0])
                return "import_wh is not the sum of rate_wh";
        if (s->v[K_RELAY][0] < MB_RELAY_CLOSED || s->v[K_RELAY][0] > MB_RELAY_ARMED)
                return "relay is not 1, 2 or 3";
        if (!is_flag(s->v[K_PROTECT][0]) || !is_flag(s->v[K_ALARM][0]) ||
            !is_flag(s->v[K_RESET][0]) || !is_flag(s->v[K_FROZEN][0]))
                return "a flag is not 0 or 1";
        if (s->v[K_READS][0] < 0 || s->v[K_WALL][0] <= 0)
                return "reads or wall_ms is out of range";
        return NULL;
}

/* Returns NULL, or what is wrong (with *lineno set, 0 for the whole file). */
static const char *parse_file(FILE *f, struct saved *s, int *lineno)
{
        char line[256];
        int ended = 0;

        memset(s, 0, sizeof(*s));
        *lineno = 1;
        if (!fgets(line, sizeof(line), f) || strcmp(line, STATE_MAGIC "\n") != 0)
                return "not a sim state file (version 1)";
        while (fgets(line, sizeof(line), f)) {
                ++*lineno;
                if (ended)
                        return "text after \"end\"";
                if (strcmp(line, "end\n") == 0)
                        ended = 1;
                else if (parse_line(s, line) < 0)
                        return "unknown key, repeated key or bad value";
        }
        if (!ended)
                return "truncated (no \"end\" line)";
        *lineno = 0;
        return check(s);
}

static void apply(struct sim_meter *m, const struct saved *s)
{
        struct sim_registers *r = &m->reg;

        r->import_wh = s->v[K_IMPORT][0];
        memcpy(r->rate_wh, s->v[K_RATES], sizeof(r->rate_wh));
        memcpy(r->rate_acc, s->v[K_ACC], sizeof(r->rate_acc));
        r->has_frozen = (int)s->v[K_FROZEN][0];
        r->frozen_wh = s->v[K_FROZEN][1];
        r->frozen_time = s->v[K_FROZEN][2];
        r->demand_mw = s->v[K_DEMAND][0];
        r->demand_time = s->v[K_DEMAND][1];
        r->has_frozen_demand = s->v[K_DEMAND][3] > 0;
        r->frozen_demand_mw = s->v[K_DEMAND][2];
        r->frozen_demand_time = s->v[K_DEMAND][3];
        m->relay = m->o.has_relay ? (int)s->v[K_RELAY][0] : MB_RELAY_CLOSED;
        m->protect = (int)s->v[K_PROTECT][0];
        m->alarm = (int)s->v[K_ALARM][0];
        m->reads = (uint64_t)s->v[K_READS][0];
        m->reset_done = (int)s->v[K_RESET][0];
        m->restored_wall_ms = s->v[K_WALL][0];
        SIM_LOG(m, MB_LOG_INFO, "state restored from %s: register %" PRId64 " Wh", m->o.state_file,
                m->reg.import_wh);
}

static void start_over(struct sim_meter *m, const char *why, int lineno)
{
        char where[32] = "";

        if (lineno > 0)
                snprintf(where, sizeof(where), " line %d", lineno);
        SIM_LOG(m, MB_LOG_WARNING, "state file %s%s: %s; register restarts at start_wh = %" PRId64,
                m->o.state_file, where, why, m->o.start_wh);
        m->pending_quality |= MB_Q_REGISTER_RESET;
}

void sim_state_load(struct sim_meter *m)
{
        struct saved s;
        const char *why;
        int lineno;
        FILE *f;

        if (m->loaded)
                return;
        m->loaded = 1;
        if (!m->o.state_file)
                return;
        f = fopen(m->o.state_file, "re");
        if (!f) {
                if (errno == ENOENT)
                        SIM_LOG(m, MB_LOG_INFO, "no state file %s yet: starting at %" PRId64 " Wh",
                                m->o.state_file, m->o.start_wh);
                else
                        start_over(m, strerror(errno), 0);
                return;
        }
        why = parse_file(f, &s, &lineno);
        fclose(f);
        if (why)
                start_over(m, why, lineno);
        else
                apply(m, &s);
}

static int format_state(const struct sim_meter *m, char *buf, size_t len)
{
        const struct sim_registers *r = &m->reg;

        return snprintf(buf, len,
                        STATE_MAGIC "\nimport_wh %" PRId64 "\nrate_wh %" PRId64 " %" PRId64
                                    " %" PRId64 " %" PRId64 "\nrate_acc %" PRId64 " %" PRId64
                                    " %" PRId64 " %" PRId64 "\nrelay %d\nprotect %d\nalarm %d\n"
                                    "reads %" PRIu64 "\nreset_done %d\nwall_ms %" PRId64
                                    "\nfrozen %d %" PRId64 " %" PRId64 "\ndemand %" PRId64
                                    " %" PRId64 " %" PRId64 " %" PRId64 "\nend\n",
                        r->import_wh, r->rate_wh[0], r->rate_wh[1], r->rate_wh[2], r->rate_wh[3],
                        r->rate_acc[0], r->rate_acc[1], r->rate_acc[2], r->rate_acc[3], m->relay,
                        m->protect, m->alarm, m->reads, m->reset_done, m->last_wall_ms,
                        r->has_frozen, r->frozen_wh, r->frozen_time, r->demand_mw, r->demand_time,
                        r->has_frozen_demand ? r->frozen_demand_mw : 0,
                        r->has_frozen_demand ? r->frozen_demand_time : 0);
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

static void sync_dir(const char *path)
{
        char *copy = strdup(path);
        int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

        if (fd >= 0) {
                fsync(fd);
                close(fd);
        }
        free(copy);
}

/* Returns 0, or -1 with errno set. */
static int write_atomic(const char *tmp, const char *path, const char *buf, size_t len)
{
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int saved;

        if (fd < 0)
                return -1;
        if (write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
                saved = errno;
                close(fd);
                unlink(tmp);
                errno = saved;
                return -1;
        }
        if (close(fd) < 0 || rename(tmp, path) < 0) {
                saved = errno;
                unlink(tmp);
                errno = saved;
                return -1;
        }
        sync_dir(path);
        return 0;
}

void sim_state_save(struct sim_meter *m)
{
        char buf[512];
        int len;

        if (!m->o.state_file || !m->started)
                return;
        len = format_state(m, buf, sizeof(buf));
        if (write_atomic(m->state_tmp, m->o.state_file, buf, (size_t)len) == 0) {
                if (m->save_failing)
                        SIM_LOG(m, MB_LOG_NOTICE, "state saved to %s again", m->o.state_file);
                m->save_failing = 0;
        } else if (!m->save_failing) {
                SIM_LOG(m, MB_LOG_WARNING, "cannot save state to %s: %s", m->o.state_file,
                        strerror(errno));
                m->save_failing = 1;
        }
}
