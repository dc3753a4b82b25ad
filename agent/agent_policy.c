/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <meterbox/plugin.h>

const char *agent_level_name(int level)
{
        static const char *const names[] = {"normal", "alarm1", "alarm2", "cut", "protected"};

        return level >= 0 && level <= AGENT_PROTECTED ? names[level] : "?";
}

static int32_t ymd(const struct tm *tm)
{
        return (tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday;
}

static int is_holiday(const struct agent_policy_cfg *cfg, int32_t day)
{
        for (int i = 0; i < cfg->n_holidays; i++)
                if (cfg->holidays[i] == day)
                        return 1;
        return 0;
}

static int in_window(int from, int to, int minute)
{
        return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

const char *agent_policy_no_cut(const struct agent_policy_cfg *cfg, int64_t now, char *buf,
                                size_t len)
{
        time_t t = (time_t)now, t1 = (time_t)(now + 86400);
        struct tm tm, tomorrow;
        int minute, wday;

        localtime_r(&t, &tm);
        localtime_r(&t1, &tomorrow);
        minute = tm.tm_hour * 60 + tm.tm_min;
        wday = tm.tm_wday == 0 ? 7 : tm.tm_wday;
        for (int i = 0; i < cfg->n_no_cut; i++)
                if (in_window(cfg->no_cut[i].from_min, cfg->no_cut[i].to_min, minute)) {
                        snprintf(buf, len, "no-cut hours %02d:%02d-%02d:%02d",
                                 cfg->no_cut[i].from_min / 60, cfg->no_cut[i].from_min % 60,
                                 cfg->no_cut[i].to_min / 60, cfg->no_cut[i].to_min % 60);
                        return buf;
                }
        if (cfg->no_cut_weekdays & (1u << wday)) {
                snprintf(buf, len, "no-cut weekday %d", wday);
                return buf;
        }
        if (is_holiday(cfg, ymd(&tm))) {
                snprintf(buf, len, "holiday %d", ymd(&tm));
                return buf;
        }
        if (is_holiday(cfg, ymd(&tomorrow))) {
                snprintf(buf, len, "day before holiday %d", ymd(&tomorrow));
                return buf;
        }
        return NULL;
}

static int level_of(const struct agent_policy_input *in)
{
        if (in->balance_fen <= in->credit_limit_fen)
                return AGENT_CUT;
        if (in->balance_fen <= in->alarm2_fen)
                return AGENT_ALARM2;
        if (in->balance_fen <= in->alarm1_fen)
                return AGENT_ALARM1;
        return AGENT_NORMAL;
}

static int add(struct agent_decision *out, int n, const char *event, int control, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

static int add(struct agent_decision *out, int n, const char *event, int control, const char *fmt,
               ...)
{
        va_list ap;

        if (n >= AGENT_POLICY_MAX_DECISIONS)
                return n;
        out[n].event = event;
        out[n].control = control;
        va_start(ap, fmt);
        vsnprintf(out[n].reason, sizeof(out[n].reason), fmt, ap);
        va_end(ap);
        return n + 1;
}

/* The reconnect threshold, never at or below the credit limit. */
static int64_t reconnect_of(const struct agent_policy_input *in)
{
        return in->reconnect_fen > in->credit_limit_fen ? in->reconnect_fen
                                                        : in->credit_limit_fen + 100;
}

static int decide_cut(const struct agent_policy_cfg *cfg, struct agent_policy_state *st,
                      const struct agent_policy_input *in, struct agent_decision *out, int n)
{
        if (in->new_snapshot && in->balance_fen > reconnect_of(in)) {
                n = add(out, n, cfg->arm_on_close ? "arm" : "close",
                        cfg->arm_on_close ? MB_CTL_ARM : MB_CTL_CLOSE,
                        "balance %lld fen above reconnect threshold %lld fen",
                        (long long)in->balance_fen, (long long)reconnect_of(in));
                memset(st, 0, sizeof(*st));
                st->level = AGENT_NORMAL;
                return n;
        }
        if (!in->have_import)
                return n;
        if (st->cut_import_wh < 0) {
                /* Energy used before the relay opened is not tamper. */
                st->cut_import_wh = in->import_wh;
                return n;
        }
        if (!st->tamper_reported && in->import_wh - st->cut_import_wh > cfg->tamper_wh) {
                st->tamper_reported = 1;
                n = add(out, n, "tamper", -1, "%lld Wh flowed while the supply is cut",
                        (long long)(in->import_wh - st->cut_import_wh));
        }
        return n;
}

/* An operator's trip holds the supply off whatever the balance. */
static int decide_hold(const struct agent_policy_cfg *cfg, struct agent_policy_state *st,
                       const struct agent_policy_input *in, struct agent_decision *out, int n)
{
        if (st->level == AGENT_CUT)
                return in->new_snapshot ? n : decide_cut(cfg, st, in, out, n);
        n = add(out, n, "trip", MB_CTL_TRIP, "supply held off by an operator");
        st->level = AGENT_CUT;
        st->cut_import_wh = -1; /* baseline: the first reading after the trip */
        st->tamper_reported = 0;
        return n;
}

static int decide_trip(const struct agent_policy_cfg *cfg, struct agent_policy_state *st,
                       const struct agent_policy_input *in, struct agent_decision *out, int n)
{
        char why[96];
        const char *wait = agent_policy_no_cut(cfg, in->now, why, sizeof(why));

        if (!wait && st->alarm2_at && in->now < st->alarm2_at + cfg->alarm2_delay_s) {
                snprintf(why, sizeof(why), "grace period after alarm 2 until %lld",
                         (long long)(st->alarm2_at + cfg->alarm2_delay_s));
                wait = why;
        }
        if (wait) {
                if (!st->trip_deferred)
                        n = add(out, n, "trip_deferred", -1,
                                "balance %lld fen at or below credit limit %lld fen; waiting: %s",
                                (long long)in->balance_fen, (long long)in->credit_limit_fen, wait);
                st->trip_deferred = 1;
                return n;
        }
        n = add(out, n, "trip", MB_CTL_TRIP, "balance %lld fen at or below credit limit %lld fen",
                (long long)in->balance_fen, (long long)in->credit_limit_fen);
        st->level = AGENT_CUT;
        st->trip_deferred = 0;
        st->cut_import_wh = -1; /* baseline: the first reading after the trip */
        st->tamper_reported = 0;
        return n;
}

static int decide_alarms(struct agent_policy_state *st, const struct agent_policy_input *in,
                         int level, struct agent_decision *out, int n)
{
        if (level < st->level && in->new_snapshot) {
                n = add(out, n, "alarm_clear", st->level >= AGENT_ALARM2 ? MB_CTL_ALARM_CLEAR : -1,
                        "balance %lld fen: %s", (long long)in->balance_fen,
                        agent_level_name(level));
                st->level = level;
                st->alarm2_at = level >= AGENT_ALARM2 ? st->alarm2_at : 0;
                st->trip_deferred = 0;
        }
        if (level >= AGENT_ALARM1 && st->level < AGENT_ALARM1) {
                n = add(out, n, "alarm1", -1, "balance %lld fen at or below alarm 1 %lld fen",
                        (long long)in->balance_fen, (long long)in->alarm1_fen);
                st->level = AGENT_ALARM1;
        }
        if (level >= AGENT_ALARM2 && st->level < AGENT_ALARM2) {
                n = add(out, n, "alarm2", MB_CTL_ALARM,
                        "balance %lld fen at or below alarm 2 %lld fen", (long long)in->balance_fen,
                        (long long)in->alarm2_fen);
                st->level = AGENT_ALARM2;
                st->alarm2_at = in->now;
        }
        return n;
}

int agent_policy_decide(const struct agent_policy_cfg *cfg, struct agent_policy_state *st,
                        const struct agent_policy_input *in, struct agent_decision *out)
{
        int n = 0, level;

        if (!in->have_balance)
                return 0;
        if (in->protected_flag) {
                if (st->level == AGENT_CUT)
                        n = add(out, n, "close", MB_CTL_CLOSE, "account protected");
                if (st->level != AGENT_PROTECTED)
                        n = add(out, n, "protected", -1, "account protected: never cut");
                memset(st, 0, sizeof(*st));
                st->level = AGENT_PROTECTED;
                return n;
        }
        if (st->level == AGENT_PROTECTED) {
                n = add(out, n, "unprotected", -1, "account no longer protected");
                st->level = AGENT_NORMAL;
        }
        if (in->hold)
                return decide_hold(cfg, st, in, out, n);
        if (in->mode != AGENT_MODE_PREPAID)
                return n; /* monthly accounts are cut by the server at month close */
        if (st->level == AGENT_CUT)
                return decide_cut(cfg, st, in, out, n);
        level = level_of(in);
        n = decide_alarms(st, in, level, out, n);
        if (level == AGENT_CUT)
                n = decide_trip(cfg, st, in, out, n);
        return n;
}
