# Integration tests of meterbox-server: a real server on loopback, driven by
# curl and meterboxctl.
set(_mb_srv_env
  MB_SERVER=$<TARGET_FILE:meterbox-server>
  MB_CTL=$<TARGET_FILE:meterboxctl>
  MB_SRC=${CMAKE_SOURCE_DIR})

function(mb_add_server_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_srv_env}" TIMEOUT 300 ${ARGN})
endfunction()

mb_add_server_test(server_check_configs server_check_configs.sh)
mb_add_server_test(server_flow server_flow.sh)
mb_add_server_test(server_auth server_auth.sh)
mb_add_server_test(server_kill9 server_kill9.sh)

# The whole system: server, agent and simulated meters (docs/wire.md).
set(_mb_e2e_env ${_mb_srv_env} ${_mb_it_env})
function(mb_add_system_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_e2e_env}" TIMEOUT 400 ${ARGN})
endfunction()
mb_add_system_test(system_e2e e2e.sh)
mb_add_system_test(system_demo demo.sh)
set_property(TEST system_demo APPEND PROPERTY ENVIRONMENT MB_BUILD=${CMAKE_BINARY_DIR})
mb_add_system_test(system_tls tls.sh)
mb_add_system_test(system_cap cap.sh)
mb_add_system_test(system_command_signatures cmdsig.sh)
mb_add_system_test(system_poison_record poison.sh)
mb_add_server_test(server_token_rotation rotate.sh)
mb_add_server_test(server_rate_limits ratelimit.sh)
mb_add_system_test(system_mutual_tls mtls.sh)
