# SPDX-License-Identifier: Apache-2.0
# Unit tests of the sim, example and gpio plugins and of the SDK's option
# helpers; include()d from tests/CMakeLists.txt.  The tests link the plugins'
# object libraries (or dlopen the built modules) and a fake host
# (test_sim_host.c): nothing from agent/.

set(MB_PLUGIN_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})

add_library(mb_test_fake_host STATIC ${MB_PLUGIN_TEST_DIR}/test_sim_host.c)
target_include_directories(mb_test_fake_host PUBLIC ${MB_PLUGIN_TEST_DIR})
target_link_libraries(mb_test_fake_host PUBLIC meterbox_sdk PkgConfig::CMOCKA)

# mb_plugin_unit_test(name libraries...): tests/unit/NAME.c, registered as NAME.
function(mb_plugin_unit_test name)
  add_executable(${name} ${MB_PLUGIN_TEST_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE mb_test_fake_host ${ARGN})
  target_compile_definitions(${name} PRIVATE MB_PLUGIN_BUILD_DIR="${MB_BUILD_PLUGIN_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;plugins" TIMEOUT 60)
endfunction()

mb_plugin_unit_test(test_sim mb_sim_objects)
mb_plugin_unit_test(test_sim_relay mb_sim_objects)
mb_plugin_unit_test(test_sim_options mb_sim_objects)
mb_plugin_unit_test(test_sim_faults mb_sim_objects)
mb_plugin_unit_test(test_sim_state mb_sim_objects)
mb_plugin_unit_test(test_sim_dlopen ${CMAKE_DL_LIBS})
add_dependencies(test_sim_dlopen sim example)
# The SDK's option helpers (include/meterbox/options.h), header only.
mb_plugin_unit_test(test_sdk_options)

if(TARGET gpio)
  mb_plugin_unit_test(test_gpio mb_gpio_objects)
  target_include_directories(test_gpio PRIVATE ${CMAKE_SOURCE_DIR}/plugins/gpio)
  mb_plugin_unit_test(test_gpio_dlopen ${CMAKE_DL_LIBS})
  add_dependencies(test_gpio_dlopen gpio)
endif()

# Each module exports exactly one dynamic symbol, the descriptor (ignoring
# what the sanitizers add, such as __odr_asan.meterbox_plugin, and the
# _init and _fini of musl's crti.o, which glibc's hides).
find_program(MB_NM NAMES nm)
if(MB_NM)
  foreach(_plugin sim example gpio)
    if(TARGET ${_plugin})
      add_test(NAME plugin_exports_${_plugin}
               COMMAND sh -c "syms=$(\"$1\" -D --defined-only \"$0\" | awk '{print $3}' | grep -v '^__odr_asan\\.\\|^__asan\\|^_init$\\|^_fini$')
echo \"exported: $syms\"; test \"$syms\" = meterbox_plugin"
                       $<TARGET_FILE:${_plugin}> ${MB_NM})
      set_tests_properties(plugin_exports_${_plugin} PROPERTIES LABELS "unit;plugins")
    endif()
  endforeach()
endif()

# The example plugin builds out of tree with only the installed SDK
# (DESIGN.md, Plugins): install the sdk component into a scratch prefix,
# then run plugins/example/Makefile there with pkg-config pointed at it.
find_program(MB_MAKE NAMES make gmake)
if(MB_MAKE)
  set(_oot ${CMAKE_BINARY_DIR}/example-out-of-tree)
  add_test(NAME plugin_example_out_of_tree
           COMMAND sh -ec "rm -rf \"$0\" && mkdir -p \"$0/src\"
${CMAKE_COMMAND} --install \"$1\" --component sdk --prefix \"$0/sdk\" >/dev/null
cp \"$2/example.c\" \"$2/Makefile\" \"$0/src/\"
pc=$(dirname \"$(find \"$0/sdk\" -name meterbox-plugin.pc)\")
export PKG_CONFIG_PATH=\"$pc\" PKG_CONFIG='pkg-config --define-prefix'
\"$3\" -s -C \"$0/src\" CFLAGS='-O2 -Werror'
\"$3\" -s -C \"$0/src\" install DESTDIR=\"$0/stage\"
test -f \"$0/stage$(pkg-config --define-prefix --variable=pluginsdir meterbox-plugin)/example.so\""
                   ${_oot} ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}/plugins/example ${MB_MAKE})
  set_tests_properties(plugin_example_out_of_tree PROPERTIES LABELS "plugins")
endif()
