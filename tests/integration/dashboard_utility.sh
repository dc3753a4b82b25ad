# SPDX-License-Identifier: Apache-2.0
# A utility's size for the wall (sourced after server_lib.sh): 50,000
# prepaid accounts with Chinese names behind 400 gateways in 8 Beijing
# districts, seeded straight into a migrated but stopped server's store in a
# few SQL statements (SQLite or PostgreSQL, the same text), because only
# the display is under test here: balances, readings, ledger entries, bills
# and events are put in as the server would have left them, not derived.
#
#   seed_utility DIR   (DIR holds the store, as for dbq; $NOW must be set)
#
# What it makes (the browser test compares the wall with the API, so the
# figures need not be worked out; they only have to be big and varied):
# - accounts 3200000001..3200050000, holders like 王秀英 from a list of
#   common surnames and given-name characters; every 100th cut (-5.00),
#   2 in 100 in alarm 2, 4 in 100 in alarm 1, every 1000th protected;
# - gateways bj-1001..bj-1400, 125 meters each, districts by gateway;
#   every 57th gateway silent for g x 10 minutes (offline), bj-1400 never
#   reported;
# - every 250th meter stale (no reading for two days);
# - readings: a boundary at this month's start (missing for every 40th),
#   two readings today: tens of thousands of kWh a day;
# - a charge per account today and earlier this month, top-ups today;
# - last month's bills: 21 held for a missing boundary, jumps up to 4.5
#   times, zero use, a register that went backwards;
# - trips, alarms, reconnects and faults in the last hour.

UT_N=50000

seed_utility() {
  local dir=$1 mon0 day0 t1 t2 prev
  mon0=$(date -d "$(date +%Y-%m-01) 00:00" +%s)
  day0=$(date -d "$(date +%F) 00:00" +%s)
  t1=$((NOW - 1800)); [ "$t1" -ge "$day0" ] || t1=$day0
  t2=$((NOW - 120)); [ "$t2" -gt "$t1" ] || t2=$((t1 + 1))
  prev=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
  local n="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $UT_N)"
  local g="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)"
  local surnames="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
  local given="秀英桂兰玉珍凤华建国伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚燕辉鹏飞红梅志鑫宇浩天佳怡子涵欣悦晨阳文博思远嘉琪雨轩"
  local acc_i="(CAST(a.number AS BIGINT) - 3200000000)"
  dbq "$dir" "BEGIN;
$g INSERT INTO gateways (name, region, created_at, last_seen)
 SELECT 'bj-' || CAST(1000 + i AS TEXT),
  CASE i % 8 WHEN 0 THEN '110105' WHEN 1 THEN '110108' WHEN 2 THEN '110102' WHEN 3 THEN '110101'
   WHEN 4 THEN '110106' WHEN 5 THEN '110112' WHEN 6 THEN '110114' ELSE '110115' END,
  $NOW - 86400 * 30,
  CASE WHEN i = 400 THEN NULL WHEN i % 57 = 0 THEN $NOW - i * 600 ELSE $NOW - 60 END FROM n;
$n INSERT INTO accounts (number, holder, address, region, mode, state, protected, balance_fen,
   alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at)
 SELECT CAST(3200000000 + i AS TEXT),
  substr('$surnames', 1 + i % length('$surnames'), 1) || substr('$given', 1 + (i * 7) % length('$given'), 1)
   || CASE WHEN i % 3 = 0 THEN '' ELSE substr('$given', 1 + (i * 13) % length('$given'), 1) END,
  '朝阳路' || CAST(1 + i % 300 AS TEXT) || '号院' || CAST(1 + i % 12 AS TEXT) || '-' || CAST(101 + i % 20 AS TEXT),
  CASE ((i - 1) / 125 + 1) % 8 WHEN 0 THEN '110105' WHEN 1 THEN '110108' WHEN 2 THEN '110102' WHEN 3 THEN '110101'
   WHEN 4 THEN '110106' WHEN 5 THEN '110112' WHEN 6 THEN '110114' ELSE '110115' END,
  'prepaid', 'active', CASE WHEN i % 1000 = 999 THEN 1 ELSE 0 END,
  CASE WHEN i % 100 = 0 THEN -500 WHEN i % 100 < 3 THEN 300 WHEN i % 100 < 7 THEN 1500
   ELSE 5000 + (i * 37) % 50000 END,
  2000, 500, 0, 100, $NOW - 86400 * 90, $NOW FROM n;
INSERT INTO meters (address, gateway_id, account_id, high_seq, last_ts, last_import_wh, bound_at)
 SELECT CAST(320000000000 + $acc_i AS TEXT), g.id, a.id, 3,
  CASE WHEN ($acc_i) % 250 = 7 THEN $NOW - 172800 ELSE $t2 END, 0, $NOW - 86400 * 90
 FROM accounts a JOIN gateways g ON g.name = 'bj-' || CAST(1000 + ($acc_i - 1) / 125 + 1 AS TEXT)
 WHERE a.number LIKE '32%';
INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
 SELECT m.id, 1, $mon0, 'boundary', 0, 1000000 + m.id * 10, $NOW FROM meters m
 WHERE m.address LIKE '32%' AND (CAST(m.address AS BIGINT) - 320000000000) % 40 != 3;
INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
 SELECT m.id, 2, $t1, 'routine', 0, 1000000 + m.id * 10 + 20000, $NOW FROM meters m
 WHERE m.address LIKE '32%' AND (CAST(m.address AS BIGINT) - 320000000000) % 250 != 7;
INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
 SELECT m.id, 3, $t2, 'routine', 0, 1000000 + m.id * 10 + 20000 + 1000 + (m.id * 37) % 9000, $NOW
 FROM meters m WHERE m.address LIKE '32%' AND (CAST(m.address AS BIGINT) - 320000000000) % 250 != 7;
INSERT INTO ledger (account_id, ts, kind, amount_fen, balance_after_fen, month, reference, reason, by_name)
 SELECT a.id, $t2, 'charge', -(250 + (a.id * 37) % 4500), a.balance_fen, '$(date +%Y-%m)', NULL,
  'continuous deduction', 'server' FROM accounts a WHERE a.number LIKE '32%';
INSERT INTO ledger (account_id, ts, kind, amount_fen, balance_after_fen, month, reference, reason, by_name)
 SELECT a.id, $mon0 + 3600, 'charge', -(9000 + (a.id * 53) % 9000), a.balance_fen, '$(date +%Y-%m)', NULL,
  'continuous deduction', 'server' FROM accounts a WHERE a.number LIKE '32%';
INSERT INTO ledger (account_id, ts, kind, amount_fen, balance_after_fen, month, reference, reason, by_name)
 SELECT a.id, $t1, 'topup', 10000 + ($acc_i % 5) * 5000, a.balance_fen, NULL, 'UT-' || a.number, '微信支付',
  'counter' FROM accounts a WHERE a.number LIKE '32%' AND ($acc_i) % 17 = 0;
INSERT INTO bills (account_id, month, meter_id, state, mode, energy_wh, total_fen, flags, prev_wh,
   last_year_wh, created_at, settled_at)
 SELECT a.id, '$prev', m.id,
  CASE WHEN ($acc_i) % 2381 = 5 THEN 'held' ELSE 'settled' END, 'prepaid',
  CASE WHEN ($acc_i) % 2381 = 5 THEN NULL WHEN ($acc_i) % 9973 = 11 THEN 450000
   WHEN ($acc_i) % 9973 = 12 THEN 200000 WHEN ($acc_i) % 5003 = 17 THEN 0 ELSE 150000 + ($acc_i) % 997 END,
  CASE WHEN ($acc_i) % 2381 = 5 THEN NULL ELSE 8000 END,
  CASE WHEN ($acc_i) % 2381 = 5 THEN '[\"missing_boundary\"]' WHEN ($acc_i) % 9973 IN (11, 12) THEN '[\"jump\"]'
   WHEN ($acc_i) % 5003 = 17 THEN '[\"zero_use\"]' WHEN ($acc_i) % 12007 = 19 THEN '[\"register_backwards\"]'
   ELSE '[]' END,
  100000, 140000, $NOW, $NOW
 FROM accounts a JOIN meters m ON m.account_id = a.id WHERE a.number LIKE '32%';
INSERT INTO events (gateway_id, id, meter_id, ts, type, reason, body, stored_at)
 SELECT m.gateway_id, $acc_i, m.id, $NOW - 60 - ($acc_i) % 3500,
  CASE ($acc_i / 100) % 6 WHEN 0 THEN 'trip' WHEN 1 THEN 'alarm1' WHEN 2 THEN 'alarm2' WHEN 3 THEN 'close'
   WHEN 4 THEN 'tamper' ELSE 'meter_fault' END, 'seeded', '{}', $NOW
 FROM accounts a JOIN meters m ON m.account_id = a.id
 WHERE a.number LIKE '32%' AND $acc_i % 100 = 0 AND $acc_i <= 30000;
COMMIT;" >/dev/null
}
