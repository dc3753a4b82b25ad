/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_wire.h"

static void add_i64(json_object *o, const char *k, int64_t v)
{
        json_object_object_add(o, k, json_object_new_int64(v));
}

static json_object *phase_array(const int32_t *v, int n)
{
        json_object *a = json_object_new_array();

        for (int i = 0; a && i < n; i++)
                json_object_array_add(a, json_object_new_int64(v[i]));
        return a;
}

const char *mb_wire_relay_name(int state)
{
        switch (state) {
        case MB_RELAY_CLOSED:
                return "closed";
        case MB_RELAY_OPEN:
                return "open";
        case MB_RELAY_ARMED:
                return "armed";
        default:
                return "unknown";
        }
}

static void add_electrical(json_object *o, const mb_reading *r)
{
        int n = r->phases == 3 ? 3 : 1;

        if (r->fields & MB_F_POWER)
                add_i64(o, "power_mw", r->power_mw);
        if (r->fields & MB_F_VOLTAGE)
                json_object_object_add(o, "voltage_mv", phase_array(r->voltage_mv, n));
        if (r->fields & MB_F_CURRENT)
                json_object_object_add(o, "current_ma", phase_array(r->current_ma, n));
        if (r->fields & MB_F_PF)
                add_i64(o, "pf_milli", r->pf_milli);
        if (r->fields & MB_F_FREQ)
                add_i64(o, "freq_mhz", r->freq_mhz);
}

json_object *mb_wire_reading(const mb_reading *r)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (r->fields & MB_F_IMPORT)
                add_i64(o, "import_wh", r->import_wh);
        if (r->fields & MB_F_EXPORT)
                add_i64(o, "export_wh", r->export_wh);
        if (r->fields & MB_F_RATES) {
                json_object *a = json_object_new_array();
                for (int i = 0; a && i < MB_RATES; i++)
                        json_object_array_add(a, json_object_new_int64(r->rate_wh[i]));
                json_object_object_add(o, "rate_wh", a);
        }
        add_electrical(o, r);
        if (r->fields & MB_F_RELAY)
                json_object_object_add(o, "relay",
                                       json_object_new_string(mb_wire_relay_name(r->relay)));
        if (r->fields & MB_F_ADDRESS)
                json_object_object_add(o, "address", json_object_new_string(r->address));
        if (r->fields & MB_F_METER_TIME)
                add_i64(o, "meter_time", r->meter_time);
        if (r->fields & MB_F_FROZEN) {
                add_i64(o, "frozen_import_wh", r->frozen_import_wh);
                add_i64(o, "frozen_time", r->frozen_time);
        }
        if (r->fields & (MB_F_PREPAID | MB_F_REMAIN))
                add_i64(o, "remain_fen", r->remain_fen);
        if (r->fields & MB_F_PREPAID)
                add_i64(o, "overdraft_fen", r->overdraft_fen);
        if (r->fields & MB_F_DEMAND) {
                add_i64(o, "demand_mw", r->demand_mw);
                if (r->demand_time)
                        add_i64(o, "demand_time", r->demand_time);
        }
        if (r->fields & MB_F_FROZEN_DEMAND) {
                add_i64(o, "frozen_demand_mw", r->frozen_demand_mw);
                add_i64(o, "frozen_demand_time", r->frozen_demand_time);
        }
        if (r->quality)
                add_i64(o, "quality", r->quality);
        return o;
}
