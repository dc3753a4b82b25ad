/* SPDX-License-Identifier: Apache-2.0 */
/* Per-field readings (reading.h): the fields a plugin left out of a reading,
 * with its reasons, become an event when the set changes, not a line per
 * poll. */
#define MB_LOG_MODULE "fields"
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "mb_log.h"

static const struct {
        uint32_t bit;
        const char *name;
} names[] = {
    {MB_F_IMPORT, "import_wh"},
    {MB_F_EXPORT, "export_wh"},
    {MB_F_POWER, "power_mw"},
    {MB_F_VOLTAGE, "voltage_mv"},
    {MB_F_CURRENT, "current_ma"},
    {MB_F_PF, "pf_milli"},
    {MB_F_FREQ, "freq_mhz"},
    {MB_F_RATES, "rate_wh"},
    {MB_F_RELAY, "relay"},
    {MB_F_ADDRESS, "address"},
    {MB_F_METER_TIME, "meter_time"},
    {MB_F_FROZEN, "frozen_import_wh"},
    {MB_F_PREPAID, "remain_fen/overdraft_fen"},
    {MB_F_REMAIN, "remain_fen"},
    {MB_F_ACCOUNT, "account"},
    {MB_F_DEMAND, "demand_mw"},
    {MB_F_FROZEN_DEMAND, "frozen_demand_mw"},
};

/* {"fields":["power_mw","freq_mhz"]} of the bits in f. */
static void fields_json(uint32_t f, char *buf, size_t len)
{
        size_t used = (size_t)snprintf(buf, len, "{\"fields\":[");

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used < len; i++)
                if (f & names[i].bit)
                        used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
                                                 buf[used - 1] == '[' ? "" : ",", names[i].name);
        if (used < len)
                snprintf(buf + used, len - used, "]}");
}

void agent_fields_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                             int64_t ts)
{
        char data[400];

        if (r->missing == m->missing)
                return;
        if (r->missing) {
                fields_json(r->missing, data, sizeof(data));
                agent_store_add_event(a->store, m->store_id, ts, "reading_partial",
                                      r->missing_why[0] ? r->missing_why : "no reason given",
                                      INT64_MIN, data);
                mb_warn("meter %s: reading kept without some fields: %s", m->cfg->name,
                        r->missing_why);
        } else {
                agent_store_add_event(a->store, m->store_id, ts, "reading_complete",
                                      "every field read again", INT64_MIN, NULL);
                mb_notice("meter %s: every field read again", m->cfg->name);
        }
        m->missing = r->missing;
}
