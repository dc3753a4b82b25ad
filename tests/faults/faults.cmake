# SPDX-License-Identifier: Apache-2.0
# Fault injection for real processes.  powercut_preload.so: LD_PRELOAD it
# and SIGKILL is a power cut for the process's SQLite files (only what was
# synced survives).
add_library(powercut_preload MODULE faults/powercut_preload.c unit/powercut_vfs.c)
set_target_properties(powercut_preload PROPERTIES PREFIX "")
target_include_directories(powercut_preload PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(powercut_preload PRIVATE PkgConfig::SQLITE3 Threads::Threads)
