# SPDX-License-Identifier: Apache-2.0
# Fuzz targets for every parser of outside bytes.
#
#   mb_add_fuzz_target(NAME SOURCES... [LIBS ...])
#
# Each target lives in tests/fuzz/NAME.c (defining LLVMFuzzerTestOneInput)
# with its committed corpus in tests/fuzz/corpus/NAME/.
#  - Ordinary builds (gcc; plain and ASan): linked with fuzz_main.c and run by
#    ctest over the corpus, so every regression input is replayed every time.
#  - MB_FUZZ=ON (clang): linked with libFuzzer; ctest runs it for
#    MB_FUZZ_SECONDS (default 10) on a copy of the corpus.  A long run:
#      build-fuzz/tests/NAME -max_total_time=3600 tests/fuzz/corpus/NAME
set(MB_FUZZ_SECONDS 10 CACHE STRING "seconds each fuzz target runs in ctest")

function(mb_add_fuzz_target name)
  cmake_parse_arguments(F "" "" "LIBS" ${ARGN})
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
  if(MB_FUZZ)
    add_executable(${name} ${F_UNPARSED_ARGUMENTS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    add_test(NAME ${name}
             COMMAND bash -c "d=$(mktemp -d) && cp -r '${corpus}'/. \"$d\"/ && \
                     '$<TARGET_FILE:${name}>' -max_total_time=${MB_FUZZ_SECONDS} -timeout=5 \
                     -rss_limit_mb=1024 -print_final_stats=1 \"$d\"; rc=$?; rm -rf \"$d\"; exit $rc")
    set_tests_properties(${name} PROPERTIES LABELS fuzz)
  else()
    add_executable(${name} ${F_UNPARSED_ARGUMENTS} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_main.c)
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    add_test(NAME ${name} COMMAND ${name} ${corpus})
    set_tests_properties(${name} PROPERTIES LABELS fuzz)
  endif()
endfunction()

file(GLOB _mb_fuzz_parts ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/*.cmake)
foreach(f ${_mb_fuzz_parts})
  if(NOT f MATCHES "/fuzz.cmake$")
    include(${f})
  endif()
endforeach()
