# SPDX-License-Identifier: Apache-2.0
# The monitoring wall's end-to-end scenario (sourced after server_lib.sh, with
# a server running and $ADMIN set).  Four gateways in four regions, ten
# accounts on the Beijing residential tariff in every state the wall shows,
# March 2025 closed (a bill settled, one flagged zero_use, one held),
# boundary readings for the month that just ended, readings and top-ups
# today, agent events, the gateways' uplinks (one weak, one failing).
# Everything goes through the API.
#
# What it must produce is in the EXPECT_* variables set by fill_scenario,
# each worked out in the comments (checked by dashboard_api.sh; the browser
# test compares the wall with the API).

# rd METER SEQ TS WH [KIND]: one reading as JSON
rd() { printf '{"meter":"%s","seq":%s,"ts":%s,"kind":"%s","import_wh":%s}' "$1" "$2" "$3" "${5:-routine}" "$4"; }
# ev ID METER TS TYPE REASON: one agent event as JSON
ev() { printf '{"id":%s,"meter":"%s","ts":%s,"type":"%s","reason":"%s"}' "$1" "$2" "$3" "$4" "$5"; }
# post_batch GATEWAY READINGS [EVENTS]
post_batch() {
  api POST /api/v1/readings "{\"gateway\":\"$1\",\"readings\":[$2],\"events\":[${3:-}]}" "${GWTOK[$1]}"
  expect 200
}
# account NUMBER HOLDER REGION MODE METER GATEWAY
account() {
  api POST /api/v1/accounts "{\"number\":\"$1\",\"holder\":\"$2\",\"region\":\"$3\",\"mode\":\"$4\",\"address\":\"Bldg ${1: -2}\"}"
  expect 201
  api PUT "/api/v1/accounts/$1/tariff" '{"tariff":"cn-bj-residential","effective":"2025-01-01"}'; expect 200
  api PUT "/api/v1/meters/$5" "{\"gateway\":\"$6\",\"account\":\"$1\"}"; expect 200
}
# uplink GATEWAY JSON: a poll (no readings) reporting the gateway's uplink
uplink() {
  api POST /api/v1/readings "{\"gateway\":\"$1\",\"readings\":[],\"events\":[],\"uplink\":$2}" "${GWTOK[$1]}"
  expect 200
}
topup() { api POST "/api/v1/accounts/$1/topups" "{\"amount_fen\":$2,\"reference\":\"PAY-$1\"}"; expect 201; }

declare -A GWTOK

fill_scenario() {
  local tariff=$MB_SRC/etc/tariffs/beijing-residential.conf M0 M1 g
  NOW=$(date +%s)
  DAY0=$(date -d "$(date +%F) 00:00" +%s)        # local midnight today
  MON0=$(date -d "$(date +%Y-%m-01) 00:00" +%s)  # local start of this month
  T1=$((NOW - 300)); [ "$T1" -ge "$DAY0" ] || T1=$DAY0
  T2=$((NOW - 60)); [ "$T2" -gt "$T1" ] || T2=$((T1 + 1))
  M0=$(date -d "2025-03-01 00:00" +%s); M1=$(date -d "2025-04-01 00:00" +%s)

  api POST /api/v1/tariffs "@$tariff"; expect 201
  for g in gw-1:110105 gw-2:110108 gw-3:110106 gw-4:110102; do
    api POST /api/v1/gateways "{\"name\":\"${g%%:*}\",\"region\":\"${g##*:}\"}"; expect 201
    GWTOK[${g%%:*}]=$(j '["token"]')
  done

  # March 2025 for three accounts, closed before the others exist (a close
  # bills every account that has a meter).
  account 1100000001 "Zhang San" 110105 prepaid 000000000001 gw-1
  account 1100000002 "Li Si" 110105 prepaid 000000000002 gw-1
  account 1100000003 "Wang, \\\"Wu\\\"" 110105 monthly 000000000003 gw-1
  topup 1100000001 50000
  topup 1100000002 3000
  post_batch gw-1 "$(rd 000000000001 1 "$M0" 1000000 boundary),$(rd 000000000001 2 $((M0 + 864000)) 1300000),$(rd 000000000001 3 "$M1" 1500000 boundary),$(rd 000000000002 1 "$M0" 2000000 boundary),$(rd 000000000002 2 "$M1" 2000000 boundary),$(rd 000000000003 1 "$M0" 3000000 boundary),$(rd 000000000003 2 $((M0 + 1728000)) 3240000)"
  close_month 2025-03
  # 1: 500 kWh = 282.15 (tiers 240/160/100); 2: no use (zero_use);
  # 3: no April boundary (held, missing_boundary)
  [ "$(j '["settled"]')" = 2 ] && [ "$(j '["held"]')" = 1 ] || fail "March close: $(cat "$T/resp")"

  account 1100000004 "Zhao Liu" 110108 prepaid 000000000004 gw-2
  account 1100000005 "Sun Qi" 110108 prepaid 000000000005 gw-2
  account 1100000006 "Zhou Ba" 110105 prepaid 000000000006 gw-1
  account 1100000007 "Wu Jiu" 110105 prepaid 000000000007 gw-1
  account 1100000008 "Zheng Shi" 110105 prepaid 000000000008 gw-1
  account 1100000009 "Chen Yi" 110102 prepaid 000000000009 gw-4
  account 1100000010 "Lin Er" 110102 prepaid 000000000010 gw-4
  api PATCH /api/v1/accounts/1100000004 '{"protected":true}'; expect 200
  topup 1100000006 20000
  topup 1100000007 1200
  topup 1100000008 10000
  topup 1100000009 30000
  topup 1100000010 8000

  # The month that just ended: boundary readings at this month's start for
  # meters 1, 2 (gw-1) and 9, 10 (gw-4); none yet for the other six.
  # Then two readings today (T1 < T2) for every meter but 3.
  post_batch gw-1 "$(rd 000000000001 4 "$MON0" 1500000 boundary),$(rd 000000000002 3 "$MON0" 2000000 boundary),$(rd 000000000001 5 "$T1" 1500000),$(rd 000000000002 4 "$T1" 2000000),$(rd 000000000006 1 "$T1" 500000),$(rd 000000000007 1 "$T1" 700000),$(rd 000000000008 1 "$T1" 800000)" \
    "$(ev 1 000000000001 "$T1" close "balance restored")"
  post_batch gw-1 "$(rd 000000000001 6 "$T2" 1520000),$(rd 000000000002 5 "$T2" 2030000),$(rd 000000000006 2 "$T2" 540000),$(rd 000000000007 2 "$T2" 715000),$(rd 000000000008 2 "$T2" 825000)" \
    "$(ev 2 000000000002 "$T2" alarm1 "balance 15.35 at or below alarm 1"),$(ev 3 000000000007 "$T2" alarm2 "balance 4.68 at or below alarm 2")"
  post_batch gw-2 "$(rd 000000000004 1 "$T1" 400000),$(rd 000000000005 1 "$T1" 900000),$(rd 000000000004 2 $((T1 + 1)) 405000),$(rd 000000000005 2 "$T2" 910000)" \
    "$(ev 1 000000000004 "$T1" tamper "cover opened"),$(ev 2 000000000005 "$T2" trip "balance at or below credit limit"),$(ev 3 000000000004 "$T2" meter_fault "no answer")"
  post_batch gw-4 "$(rd 000000000009 1 "$MON0" 100000 boundary),$(rd 000000000010 1 "$MON0" 200000 boundary),$(rd 000000000009 2 "$T1" 100000),$(rd 000000000010 2 "$T1" 200000),$(rd 000000000009 3 "$T2" 112000),$(rd 000000000010 3 "$T2" 208000)"

  # Uplinks (docs/wire.md): gw-2 on 4G with a weak signal (12 %), gw-4's
  # last upload needed 4 tries (failing), gw-1 on Ethernet (ok).
  uplink gw-2 '{"interface":"wwan0","kind":"cellular","source":"mmcli","signal_pct":12,"technology":"lte","operator":"中国移动","operator_code":"46000","state":"connected","registration":"home","retries":0}'
  uplink gw-4 '{"interface":"wwan0","kind":"cellular","source":"uqmi","signal_pct":64,"rssi_dbm":-73,"technology":"lte","operator":"CHN-UNICOM","retries":4}'
  uplink gw-1 '{"interface":"eth0","kind":"ethernet","retries":0}'

  # Gateways: gw-1, gw-2, gw-4 have posted; gw-3 never has (offline).
  EXPECT_GW_ONLINE=3 EXPECT_GW_OFFLINE=1 EXPECT_UPLINK_WEAK=gw-2 EXPECT_UPLINK_FAILING=gw-4
  # Meters: 3 is stale (last reading March 2025), 4 has a fault after its
  # last reading; the other eight read well.
  EXPECT_METERS_OK=8 EXPECT_METERS_FAULTY=2
  # Energy today (and this month: nothing else happened this month), the
  # second reading minus the first: 20+30+5+10+40+15+25+12+8 kWh.
  EXPECT_ENERGY_TODAY=165000
  # Balances (all tier 1, 0.4883/kWh, each month's charges rounded once):
  #   1: 500.00 - 282.15 (March) - 9.77 (20 kWh: 9.766)  = 208.08  normal
  #   2:  30.00 - 14.65 (30 kWh: 14.649)                 =  15.35  alarm 1
  #   3: monthly, 0.00 (March held)                       =   0.00  normal
  #   4:   0.00 - 2.44 (5 kWh: 2.4415), protected         =  -2.44  protected
  #   5:   0.00 - 4.88 (10 kWh: 4.883)                    =  -4.88  cut
  #   6: 200.00 - 19.53 (40 kWh: 19.532)                  = 180.47  normal
  #   7:  12.00 - 7.32 (15 kWh: 7.3245)                   =   4.68  alarm 2
  #   8: 100.00 - 12.21 (25 kWh: 12.2075)                 =  87.79  normal
  #   9: 300.00 - 5.86 (12 kWh: 5.8596)                   = 294.14  normal
  #  10:  80.00 - 3.91 (8 kWh: 3.9064)                    =  76.09  normal
  EXPECT_NORMAL=6 EXPECT_ALARM1=1 EXPECT_ALARM2=1 EXPECT_CUT=1 EXPECT_PROTECTED=1
  EXPECT_BALANCE_1=20808 EXPECT_BALANCE_7=468
  # Revenue today: March's 282.15 was charged today too (at ingest), plus
  # 9.77 + 14.65 + 2.44 + 4.88 + 19.53 + 7.32 + 12.21 + 5.86 + 3.91 = 80.57
  EXPECT_REVENUE_TODAY=36272
  # Top-ups today: 500 + 30 + 200 + 12 + 100 + 300 + 80 = 1222.00, seven of them
  EXPECT_TOPUPS_TODAY=122200 EXPECT_TOPUPS_COUNT=7
  # Month-end (the month that just ended): 4 of 10 boundary readings in;
  # 110102 2/2, 110105 2/6, 110108 0/2.
  EXPECT_ME_RECEIVED=4 EXPECT_ME_EXPECTED=10
  # Regions, worst first: 110106 its only gateway offline (bad, one gateway
  # offline); 110108 one of two meters faulty (bad, no gateway offline);
  # 110105 one stale meter of six (warn); 110102 all well (ok).
  EXPECT_HEALTH="110106=bad 110108=bad 110105=warn 110102=ok"
  # Anomalies of 2025-03 (the latest billed month): 2 zero_use, 3 held.
  EXPECT_ANOMALIES=2
}
