# SPDX-License-Identifier: Apache-2.0
# Tariff engine tests: common/mb_tariff*.c, common/mb_money.c and
# `meterboxctl quote`.  Included from tests/CMakeLists.txt.
set(_mb_tariff_dir "${CMAKE_SOURCE_DIR}/etc/tariffs")

foreach(_t money calc parse property seams days multiplier monthly)
  mb_add_unit_test(test_tariff_${_t} unit/test_tariff_${_t}.c LIBS mb_common)
  target_compile_definitions(test_tariff_${_t} PRIVATE MB_TARIFF_DIR="${_mb_tariff_dir}")
  set_tests_properties(test_tariff_${_t} PROPERTIES LABELS tariff)
endforeach()

# Runs the built meterboxctl (only there when MB_BUILD_SERVER is on).
if(TARGET meterboxctl)
  mb_add_unit_test(test_tariff_quote unit/test_tariff_quote.c LIBS mb_common PkgConfig::JSONC)
  target_compile_definitions(test_tariff_quote PRIVATE MB_TARIFF_DIR="${_mb_tariff_dir}"
                             MB_CTL="$<TARGET_FILE:meterboxctl>")
  add_dependencies(test_tariff_quote meterboxctl)
  set_tests_properties(test_tariff_quote PROPERTIES LABELS tariff)
endif()
