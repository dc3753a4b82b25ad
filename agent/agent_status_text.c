/* SPDX-License-Identifier: Apache-2.0 */
/* `meterbox-agent status` as text: times in the gateway's zone, money in
 * yuan and energy in kWh, both from integers (no floating point). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_status.h"

static json_object *get(json_object *o, const char *k)
{
        json_object *v = NULL;

        json_object_object_get_ex(o, k, &v);
        return v;
}

static const char *str(json_object *o, const char *k, const char *none)
{
        json_object *v = get(o, k);

        return v ? json_object_get_string(v) : none;
}

/* "2026-03-01 12:00:03 (4 min ago)" into buf. */
static const char *when(json_object *ts, int64_t now, char *buf, size_t len)
{
        time_t t;
        struct tm tm;
        int64_t ago;
        size_t n;

        if (!ts)
                return "never";
        t = (time_t)json_object_get_int64(ts);
        ago = now - (int64_t)t;
        localtime_r(&t, &tm);
        n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
        if (ago < 120)
                snprintf(buf + n, len - n, " (%" PRId64 " s ago)", ago);
        else if (ago < 7200)
                snprintf(buf + n, len - n, " (%" PRId64 " min ago)", ago / 60);
        else
                snprintf(buf + n, len - n, " (%" PRId64 " h ago)", ago / 3600);
        return buf;
}

/* An integer of 1/div units (div a power of ten) as a decimal: 123456 Wh,
 * 1000 -> "123.456". */
static const char *decimal(json_object *v, int64_t div, char *buf, size_t len)
{
        char frac[24];
        int64_t x, a, f;
        int digits = 0;

        if (!v)
                return "-";
        for (int64_t d = div; d > 1 && digits < 18; d /= 10)
                digits++;
        x = json_object_get_int64(v);
        a = x < 0 ? -x : x;
        f = a % div;
        for (int i = digits - 1; i >= 0; i--, f /= 10)
                frac[i] = (char)('0' + f % 10);
        frac[digits] = '\0';
        snprintf(buf, len, "%s%" PRId64 ".%s", x < 0 ? "-" : "", a / div, frac);
        return buf;
}

static int64_t num(json_object *o, const char *k)
{
        json_object *v = get(o, k);

        return v ? json_object_get_int64(v) : 0;
}

/* "mmcli and uqmi" of the tools found, into buf ("" for none). */
static const char *tools(json_object *u, char *buf, size_t len)
{
        json_object *t = get(u, "tools");
        size_t n = t ? json_object_array_length(t) : 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++)
                snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? " and " : "",
                         json_object_get_string(json_object_array_get_idx(t, i)));
        return buf;
}

/* The uplink as the uploader last saw it: the interface and its kind, the
 * modem's signal, technology, operator, state and registration, or why
 * there is none, and when. */
static void print_uplink(json_object *s, int64_t now, FILE *f)
{
        json_object *u = get(s, "uplink");
        char t[64], tl[48];

        if (!u) {
                fprintf(f, "uplink    %s\n",
                        get(s, "server") ? "not looked at yet (the uploader looks before its "
                                           "first upload)"
                                         : "not looked at: an offline gateway");
                return;
        }
        if (!get(u, "interface") || !get(u, "kind"))
                fprintf(f, "uplink    no route to the server found");
        else
                fprintf(f, "uplink    %s, %s", str(u, "interface", "?"), str(u, "kind", "?"));
        if (get(u, "source"))
                fprintf(f, ": signal %s %%, %s, operator %s, %s, %s (by %s)",
                        str(u, "signal_pct", "-"), str(u, "technology", "-"),
                        str(u, "operator", "-"), str(u, "state", "-"), str(u, "registration", "-"),
                        str(u, "source", "?"));
        else if (!tools(u, tl, sizeof(tl))[0])
                fprintf(f, "; no modem tool (mmcli, uqmi) installed or chosen");
        else if (!get(u, "error"))
                fprintf(f, "; %s: no modem on this interface", tl);
        if (get(u, "error"))
                fprintf(f, "; %s", str(u, "error", ""));
        fprintf(f, "\n          looked at %s\n", when(get(u, "looked_at"), now, t, sizeof(t)));
}

static void print_gateway(json_object *s, FILE *f)
{
        json_object *up = get(s, "upload");
        int64_t now = num(s, "now");
        char t[64];

        fprintf(f, "gateway   %s (region %s), zone %s\n", str(s, "gateway", "?"),
                str(s, "region", "-"), str(s, "timezone", "of the system"));
        fprintf(f, "store     %s (schema %" PRId64 ")\n", str(s, "store", "?"), num(s, "schema"));
        if (get(s, "server"))
                fprintf(f, "server    %s, last sync %s\n", str(s, "server", ""),
                        when(get(s, "last_sync"), now, t, sizeof(t)));
        else
                fprintf(f, "server    none: an offline gateway (last sync %s)\n",
                        when(get(s, "last_sync"), now, t, sizeof(t)));
        print_uplink(s, now, f);
        fprintf(f,
                "upload    %" PRId64 " readings (%" PRId64 " boundary) and %" PRId64
                " events waiting\n",
                num(up, "readings"), num(up, "boundary_readings"), num(up, "events"));
        if (num(up, "set_aside_readings") || num(up, "set_aside_events"))
                fprintf(f,
                        "          set aside (refused by the server): %" PRId64
                        " readings, %" PRId64 " events; once the meter is bound: "
                        "meterbox-agent resend METER\n",
                        num(up, "set_aside_readings"), num(up, "set_aside_events"));
        fprintf(f, "commands  %" PRId64 " pending\n\n", num(s, "commands_pending"));
}

static void print_meter(json_object *m, int64_t now, FILE *f)
{
        json_object *r = get(m, "last_reading"), *d = get(m, "last_decision");
        char t[64], e[64], p[64], b[64], relay[48];

        snprintf(relay, sizeof(relay), "%s%s%s%s", str(m, "relay", "-"), d ? " (" : "",
                 d ? str(d, "type", "") : "", d ? ")" : "");
        fprintf(f, "%-12s %-13s %-34s %12s %10s %10s %-14s %-9s %7" PRId64 " %9" PRId64 "\n",
                str(m, "name", "?"), str(m, "address", "-"),
                r ? when(get(r, "ts"), now, t, sizeof(t)) : "no reading yet",
                decimal(r ? get(r, "import_wh") : NULL, 1000, e, sizeof(e)),
                decimal(r ? get(r, "power_mw") : NULL, 1000, p, sizeof(p)),
                decimal(get(m, "balance_fen"), 100, b, sizeof(b)), relay, str(m, "policy", "-"),
                num(m, "waiting"), num(m, "set_aside"));
}

int agent_status_text(json_object *s, FILE *f)
{
        json_object *meters = get(s, "meters");
        int64_t now = num(s, "now");

        print_gateway(s, f);
        fprintf(f, "%-12s %-13s %-34s %12s %10s %10s %-14s %-9s %7s %9s\n", "METER", "ADDRESS",
                "LAST READING", "IMPORT kWh", "POWER W", "YUAN", "RELAY", "POLICY", "WAITING",
                "SET ASIDE");
        for (size_t i = 0; meters && i < json_object_array_length(meters); i++)
                print_meter(json_object_array_get_idx(meters, i), now, f);
        return ferror(f) ? -1 : 0;
}
