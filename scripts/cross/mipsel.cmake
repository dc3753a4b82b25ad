# SPDX-License-Identifier: Apache-2.0
# Cross toolchain: Debian mipsel (mipsel-linux-gnu, little-endian), tests under qemu-mipsel.
#   cmake -DCMAKE_TOOLCHAIN_FILE=scripts/cross/mipsel.cmake -DMB_BUILD_SERVER=OFF ...
# scripts/cross/build.sh mipsel makes the sysroot and does all of it.
set(MB_CROSS_ARCH mipsel)
set(MB_CROSS_TRIPLET mipsel-linux-gnu)
set(MB_CROSS_QEMU qemu-mipsel)
set(CMAKE_SYSTEM_PROCESSOR mipsel)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
