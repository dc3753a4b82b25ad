# SPDX-License-Identifier: Apache-2.0
# Cross toolchain: Debian arm64 (aarch64-linux-gnu, little-endian), tests under qemu-aarch64.
#   cmake -DCMAKE_TOOLCHAIN_FILE=scripts/cross/arm64.cmake -DMB_BUILD_SERVER=OFF ...
# scripts/cross/build.sh arm64 makes the sysroot and does all of it.
set(MB_CROSS_ARCH arm64)
set(MB_CROSS_TRIPLET aarch64-linux-gnu)
set(MB_CROSS_QEMU qemu-aarch64)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
