# SPDX-License-Identifier: Apache-2.0
# Cross toolchain: Debian s390x (s390x-linux-gnu, big-endian), tests under qemu-s390x.
#   cmake -DCMAKE_TOOLCHAIN_FILE=scripts/cross/s390x.cmake -DMB_BUILD_SERVER=OFF ...
# scripts/cross/build.sh s390x makes the sysroot and does all of it.
set(MB_CROSS_ARCH s390x)
set(MB_CROSS_TRIPLET s390x-linux-gnu)
set(MB_CROSS_QEMU qemu-s390x)
set(CMAKE_SYSTEM_PROCESSOR s390x)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
