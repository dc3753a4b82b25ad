# SPDX-License-Identifier: Apache-2.0
# Integration tests of meterbox-server: a real server on loopback, driven by
# curl and meterboxctl.
set(_mb_srv_env
  MB_SERVER=$<TARGET_FILE:meterbox-server>
  MB_CTL=$<TARGET_FILE:meterboxctl>
  MB_SRC=${CMAKE_SOURCE_DIR}
  TMPDIR=${MB_TEST_TMPDIR})

function(mb_add_server_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_srv_env}" TIMEOUT 300 ${ARGN})
endfunction()

mb_add_server_test(server_check_configs server_check_configs.sh)
mb_add_server_test(server_bootstrap server_bootstrap.sh)
mb_add_server_test(server_flow server_flow.sh)
mb_add_server_test(server_auth server_auth.sh)
mb_add_server_test(server_kill9 server_kill9.sh)
mb_add_server_test(settle_flags settle_flags.sh)
mb_add_server_test(settle_write_fails settle_write_fails.sh)
mb_add_server_test(request_deadline request_deadline.sh)
mb_add_server_test(areas areas.sh)
mb_add_server_test(areas_loss areas_loss.sh)

# The same tests against PostgreSQL: each starts a throwaway server with
# initdb + pg_ctl (pg_lib.sh) and stops it; skipped (77) without one.
function(mb_add_server_pg_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_srv_env};MB_DB_BACKEND=pg"
                       TIMEOUT 300 SKIP_RETURN_CODE 77 ${ARGN})
endfunction()
mb_add_server_pg_test(server_flow_pg server_flow.sh)
mb_add_server_pg_test(server_auth_pg server_auth.sh)
mb_add_server_pg_test(server_kill9_pg server_kill9.sh)
mb_add_server_pg_test(settle_flags_pg settle_flags.sh)
mb_add_server_pg_test(settle_write_fails_pg settle_write_fails.sh)
mb_add_server_pg_test(pg_check_configs server_check_configs.sh)
mb_add_server_pg_test(pg_two_servers pg_two_servers.sh)
mb_add_server_pg_test(pg_close_split pg_close_split.sh)
mb_add_server_pg_test(pg_disk_full pg_disk_full.sh)
mb_add_server_pg_test(areas_pg areas.sh)
mb_add_server_pg_test(areas_loss_pg areas_loss.sh)

# High availability (issue 21): a pg_auto_failover monitor and two nodes in
# network namespaces of their own (ha_lib.sh), two servers, and the primary
# killed, frozen, cut off, killed during a close, or the standby killed.
foreach(_mode kill freeze cut close standby)
  add_test(NAME ha_failover_${_mode} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/ha_failover.sh)
  set_tests_properties(ha_failover_${_mode} PROPERTIES
                       ENVIRONMENT "${_mb_srv_env};${_mb_it_env};MB_HA_MODE=${_mode}" TIMEOUT 600
                       SKIP_RETURN_CODE 77 LABELS ha)
endforeach()
# every write sent again is stored once (docs/api.md, Retries)
mb_add_server_test(idempotency idempotency.sh)
mb_add_server_pg_test(idempotency_pg idempotency.sh)

# The whole system: server, agent and simulated meters (docs/wire.md).
set(_mb_e2e_env ${_mb_srv_env} ${_mb_it_env})
function(mb_add_system_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_e2e_env}" TIMEOUT 400 ${ARGN})
  mb_label_script(${name} ${script})
endfunction()
# The same against PostgreSQL, as mb_add_server_pg_test.
function(mb_add_system_pg_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_e2e_env};MB_DB_BACKEND=pg"
                       TIMEOUT 400 SKIP_RETURN_CODE 77 ${ARGN})
endfunction()
mb_add_system_test(system_e2e e2e.sh)
mb_add_system_pg_test(system_e2e_pg e2e.sh)
# a snapshot with a null ref: the agent charges from where the server
# begins, whatever it stored before it came (issues 15, 16)
mb_add_system_test(system_nullref_balance nullref_balance.sh)
mb_add_system_pg_test(system_nullref_balance_pg nullref_balance.sh)
mb_add_system_test(system_demo demo.sh)
# the maximum demand from the sim plugin through agent.db to the server
mb_add_system_test(system_demand demand_sim.sh)
mb_add_system_pg_test(system_demand_pg demand_sim.sh)
mb_add_system_test(system_areas areas_sim.sh)
set_property(TEST system_areas APPEND PROPERTY ENVIRONMENT
             MB_ARTIFACTS=${CMAKE_BINARY_DIR}/tests/artifacts)
set_property(TEST system_demo APPEND PROPERTY ENVIRONMENT MB_BUILD=${CMAKE_BINARY_DIR})

# The monitoring wall, /metrics, CSV exports and webhooks (docs/dashboard.md).
mb_add_server_test(dashboard_api dashboard_api.sh)
mb_add_server_test(dashboard_ctl dashboard_ctl.sh)
mb_add_server_test(export_csv export_csv.sh)
mb_add_server_test(metrics_prom metrics_prom.sh)
mb_add_server_test(webhook_delivery webhook_delivery.sh)
mb_add_server_pg_test(dashboard_api_pg dashboard_api.sh)
mb_add_server_pg_test(export_csv_pg export_csv.sh)
mb_add_server_pg_test(metrics_prom_pg metrics_prom.sh)
mb_add_server_pg_test(webhook_delivery_pg webhook_delivery.sh)
# headless Chromium (Debian's chromium, driven by playwright-core from
# tests/browser); screenshots go to tests/artifacts in the build tree
mb_add_server_test(dashboard_browser dashboard_browser.sh SKIP_RETURN_CODE 77 TIMEOUT 600)
set_property(TEST dashboard_browser APPEND PROPERTY ENVIRONMENT
             MB_ARTIFACTS=${CMAKE_BINARY_DIR}/tests/artifacts)
mb_add_server_test(areas_browser areas_browser.sh SKIP_RETURN_CODE 77)
set_property(TEST areas_browser APPEND PROPERTY ENVIRONMENT
             MB_ARTIFACTS=${CMAKE_BINARY_DIR}/tests/artifacts)
mb_add_server_pg_test(dashboard_browser_pg dashboard_browser.sh TIMEOUT 600)
set_property(TEST dashboard_browser_pg APPEND PROPERTY ENVIRONMENT
             MB_ARTIFACTS=${CMAKE_BINARY_DIR}/tests/artifacts-pg)
mb_add_system_test(system_tls tls.sh)
mb_add_system_test(system_cap cap.sh)
mb_add_system_test(system_command_signatures cmdsig.sh)
mb_add_system_test(system_dlt645_identity dlt645_identity.sh)
mb_add_system_test(system_dlt645_account dlt645_account.sh)
mb_add_system_pg_test(system_dlt645_account_pg dlt645_account.sh)
if(TARGET gpio)
  mb_add_system_test(system_relay_honest relay_honest.sh)
  # A DL/T 698.45 meter refusing a plaintext trip falls back to the GPIO
  # contactor (issue 20).
  mb_add_system_test(system_dlt698_fallback dlt698_fallback.sh)
endif()
mb_add_system_test(system_poison_record poison.sh)
# On site: meterbox-agent status and resend beside a running agent (issue 19).
mb_add_system_test(system_agent_status status.sh)
mb_add_server_test(server_token_rotation rotate.sh)
mb_add_server_test(server_rate_limits ratelimit.sh)
mb_add_system_test(system_mutual_tls mtls.sh)
mb_add_server_test(server_connection_limits connlimits.sh)
mb_add_server_pg_test(request_deadline_pg request_deadline.sh)
mb_add_system_pg_test(system_tls_pg tls.sh)
mb_add_system_pg_test(system_cap_pg cap.sh)
mb_add_system_pg_test(system_command_signatures_pg cmdsig.sh)
mb_add_system_pg_test(system_poison_record_pg poison.sh)
mb_add_server_pg_test(server_token_rotation_pg rotate.sh)
mb_add_server_pg_test(server_rate_limits_pg ratelimit.sh)
mb_add_system_pg_test(system_mutual_tls_pg mtls.sh)
mb_add_server_pg_test(server_connection_limits_pg connlimits.sh)
# the server's edges, one check per item (issue 17)
mb_add_server_test(server_hardening hardening.sh)
mb_add_server_pg_test(server_hardening_pg hardening.sh)
# schema 4 readings (JSON text) into typed columns (migration 5)
mb_add_server_test(migrate_readings migrate_readings.sh)
mb_add_server_pg_test(migrate_readings_pg migrate_readings.sh)
# the seams of a month, one test per seam, amounts worked out by hand (issue 15)
mb_add_server_test(seam_tariff seam_tariff.sh)
mb_add_server_pg_test(seam_tariff_pg seam_tariff.sh)
mb_add_server_test(seam_bad_account seam_bad_account.sh)
mb_add_server_pg_test(seam_bad_account_pg seam_bad_account.sh)
mb_add_server_test(seam_refund seam_refund.sh)
mb_add_server_pg_test(seam_refund_pg seam_refund.sh)
mb_add_server_test(seam_lifecycle seam_lifecycle.sh)
mb_add_server_pg_test(seam_lifecycle_pg seam_lifecycle.sh)
mb_add_server_test(seam_meter seam_meter.sh)
mb_add_server_pg_test(seam_meter_pg seam_meter.sh)
mb_add_server_test(seam_boundary seam_boundary.sh)
mb_add_server_pg_test(seam_boundary_pg seam_boundary.sh)
# the month close as a job: answers at once, survives a kill, retried when
# scheduled and failed, meterboxctl waits for it
mb_add_server_test(close_job close_job.sh)
mb_add_server_pg_test(close_job_pg close_job.sh)
mb_add_server_test(seam_dunning seam_dunning.sh)
mb_add_server_pg_test(seam_dunning_pg seam_dunning.sh)
mb_add_server_pg_test(close_help_pg close_help.sh)
# random lifecycles against an oracle, the agent's balance by its own code
# (agent_balance) against the server's, on both backends (issue 15)
add_executable(agent_balance ${CMAKE_CURRENT_SOURCE_DIR}/integration/agent_balance.c)
target_link_libraries(agent_balance PRIVATE agent_core)
mb_add_server_test(property_money property_money.sh)
mb_add_server_pg_test(property_money_pg property_money.sh)
mb_add_server_test(seam_multiplier seam_multiplier.sh)
mb_add_server_pg_test(seam_multiplier_pg seam_multiplier.sh)
# fixed monthly charges prorated by the days of supply at every seam
mb_add_server_test(seam_fixed seam_fixed.sh)
mb_add_server_pg_test(seam_fixed_pg seam_fixed.sh)
# demand charges: the maximum demand in the readings, frozen or read, x the multiplier
mb_add_server_test(seam_demand seam_demand.sh)
mb_add_server_pg_test(seam_demand_pg seam_demand.sh)
set_property(TEST property_money property_money_pg seam_multiplier seam_multiplier_pg APPEND
             PROPERTY ENVIRONMENT MB_AGENT_BALANCE=$<TARGET_FILE:agent_balance>)
# each gateway's uplink as its uploads report it, on the wall's list (issue 19)
mb_add_server_test(uplink_api uplink_api.sh)
mb_add_server_pg_test(uplink_api_pg uplink_api.sh)
# the agent's uplink through a fake mmcli, as the server shows it (issue 19)
mb_add_system_test(system_uplink_agent uplink_agent.sh)
