/* SPDX-License-Identifier: Apache-2.0 */
/* The API: every endpoint, who may call it, and its handler (docs/api.md). */
#include "srv.h"
#include "srv_accounts.h"
#include "srv_area_api.h"
#include "srv_areas.h"
#include "srv_close_job.h"
#include "srv_commands.h"
#include "srv_desk.h"
#include "srv_dunning.h"
#include "srv_displays.h"
#include "srv_export.h"
#include "srv_ingest.h"
#include "srv_lifecycle.h"
#include "srv_me.h"
#include "srv_multiplier.h"
#include "srv_metrics.h"
#include "srv_regions.h"
#include "srv_session.h"
#include "srv_settle.h"
#include "srv_stats.h"
#include "srv_tariffs.h"
#include "srv_topup.h"

#define GW SRV_ROLE_GATEWAY

const struct srv_route srv_routes[] = {
    {"POST", "/api/v1/readings", srv_h_readings, GW | SRV_WRITE},

    {"POST", "/api/v1/gateways", srv_h_gateway_register, SRV_WRITE},
    {"GET", "/api/v1/gateways", srv_h_gateway_list, SRV_READ},
    {"GET", "/api/v1/gateways/*", srv_h_gateway_show, GW | SRV_READ},
    {"POST", "/api/v1/gateways/*/token", srv_h_gateway_rotate, SRV_WRITE},

    {"GET", "/api/v1/meters", srv_h_meter_list, SRV_READ},
    {"GET", "/api/v1/meters/*", srv_h_meter_show, GW | SRV_READ},
    {"PUT", "/api/v1/meters/*", srv_h_meter_bind, SRV_WRITE},
    {"POST", "/api/v1/meters/*/commands", srv_h_command_issue, SRV_WRITE},
    {"POST", "/api/v1/meters/*/exchange", srv_h_meter_exchange, SRV_WRITE},
    {"POST", "/api/v1/meters/*/fixes", srv_h_meter_fix, SRV_WRITE},
    {"GET", "/api/v1/meters/*/commands", srv_h_command_list_meter, GW | SRV_READ},
    {"GET", "/api/v1/commands", srv_h_command_list, SRV_READ},

    {"POST", "/api/v1/accounts", srv_h_account_create, SRV_WRITE},
    {"GET", "/api/v1/accounts", srv_h_account_list, SRV_READ},
    {"GET", "/api/v1/accounts/*", srv_h_account_show, SRV_READ},
    {"PATCH", "/api/v1/accounts/*", srv_h_account_update, SRV_WRITE},
    {"PUT", "/api/v1/accounts/*/tariff", srv_h_tariff_assign, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/move-in", srv_h_move_in, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/move-out", srv_h_move_out, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/transfer", srv_h_transfer, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/topups", srv_h_topup, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/refunds", srv_h_refund, SRV_WRITE},
    {"POST", "/api/v1/accounts/*/adjustments", srv_h_adjustment, SRV_WRITE},
    {"GET", "/api/v1/accounts/*/ledger", srv_h_ledger, SRV_READ},
    {"GET", "/api/v1/accounts/*/bills", srv_h_bill_list, SRV_READ},
    {"GET", "/api/v1/accounts/*/bills/*", srv_h_bill_show, SRV_READ},

    {"POST", "/api/v1/tariffs", srv_h_tariff_load, SRV_WRITE},
    {"GET", "/api/v1/tariffs", srv_h_tariff_list, SRV_READ},
    {"GET", "/api/v1/tariffs/*", srv_h_tariff_show, SRV_READ},
    {"GET", "/api/v1/tariffs/*/text", srv_h_tariff_text, GW | SRV_READ},

    {"POST", "/api/v1/settlements", srv_h_close_start, SRV_WRITE},
    {"GET", "/api/v1/settlements", srv_h_close_list, SRV_READ},
    {"GET", "/api/v1/settlements/*", srv_h_close_show, SRV_READ},
    {"POST", "/api/v1/dunning", srv_h_dunning, SRV_WRITE},
    {"GET", "/api/v1/bills", srv_h_bills_month, SRV_READ},

    /* the monitoring wall and operations (docs/api.md, Monitoring) */
    {"POST", "/api/v1/session", srv_h_session_create, SRV_WALL},
    {"GET", "/api/v1/session", srv_h_session_show, SRV_WALL},
    {"DELETE", "/api/v1/session", srv_h_session_delete, SRV_WALL},
    {"GET", "/api/v1/me", srv_h_me_show, SRV_WALL},
    {"PUT", "/api/v1/me", srv_h_me_update, SRV_READ},
    {"GET", "/api/v1/regions", srv_h_regions, SRV_WALL},
    {"GET", "/api/v1/stats/overview", srv_h_stats_overview, SRV_WALL},
    {"GET", "/api/v1/stats/regions", srv_h_stats_regions, SRV_WALL},
    {"GET", "/api/v1/stats/gateways", srv_h_stats_gateways, SRV_WALL},
    {"GET", "/api/v1/stats/consumption", srv_h_stats_consumption, SRV_WALL},
    {"GET", "/api/v1/stats/month-end", srv_h_stats_month_end, SRV_WALL},
    {"GET", "/api/v1/stats/anomalies", srv_h_stats_anomalies, SRV_WALL},
    {"GET", "/api/v1/events", srv_h_events, SRV_WALL},
    {"GET", "/api/v1/desk/accounts", srv_h_desk_accounts, SRV_READ},
    {"GET", "/api/v1/accounts/*/statement", srv_h_statement, SRV_READ},
    {"GET", "/api/v1/accounts/*/ledger/*", srv_h_ledger_entry, SRV_READ},
    {"POST", "/api/v1/displays", srv_h_display_create, SRV_WRITE},
    {"GET", "/api/v1/displays", srv_h_display_list, SRV_READ},
    {"PATCH", "/api/v1/displays/*", srv_h_display_update, SRV_WRITE},
    {"DELETE", "/api/v1/displays/*", srv_h_display_revoke, SRV_WRITE},
    {"GET", "/api/v1/search", srv_h_search, SRV_READ},
    {"GET", "/api/v1/meters/*/readings", srv_h_meter_readings, SRV_READ},
    {"GET", "/api/v1/exports/bills.csv", srv_h_export_bills, SRV_READ},
    {"GET", "/api/v1/exports/ledger.csv", srv_h_export_ledger, SRV_READ},
    {"GET", "/metrics", srv_h_metrics, SRV_READ},

    /* transformer areas: line loss and collection (docs/api.md, Transformer areas) */
    {"POST", "/api/v1/areas", srv_h_area_create, SRV_WRITE},
    {"GET", "/api/v1/areas", srv_h_area_list, SRV_READ},
    {"GET", "/api/v1/areas/*", srv_h_area_show, SRV_READ},
    {"PATCH", "/api/v1/areas/*", srv_h_area_update, SRV_WRITE},
    {"PUT", "/api/v1/meters/*/area", srv_h_meter_area_set, SRV_WRITE},
    {"GET", "/api/v1/meters/*/area", srv_h_meter_area_show, SRV_READ},
    {"POST", "/api/v1/meters/*/multiplier", srv_h_meter_multiplier_set, SRV_WRITE},
    {"GET", "/api/v1/meters/*/multiplier", srv_h_meter_multiplier_show, SRV_READ},
    {"GET", "/api/v1/areas/*/loss", srv_h_area_loss, SRV_READ},
    {"GET", "/api/v1/stats/areas", srv_h_stats_areas, SRV_WALL},
    {"GET", "/api/v1/stats/areas/*/members", srv_h_area_members, SRV_WALL},
    {"GET", "/api/v1/stats/collection", srv_h_stats_collection, SRV_WALL},
    {"GET", "/api/v1/exports/line-loss.csv", srv_h_export_line_loss, SRV_READ},
    {"GET", "/api/v1/exports/collection.csv", srv_h_export_collection, SRV_READ},
};

const size_t srv_n_routes = sizeof(srv_routes) / sizeof(srv_routes[0]);
