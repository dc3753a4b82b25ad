# SPDX-License-Identifier: Apache-2.0
# Cross toolchain: Debian armhf (arm-linux-gnueabihf, little-endian), tests under qemu-arm.
#   cmake -DCMAKE_TOOLCHAIN_FILE=scripts/cross/armhf.cmake -DMB_BUILD_SERVER=OFF ...
# scripts/cross/build.sh armhf makes the sysroot and does all of it.
set(MB_CROSS_ARCH armhf)
set(MB_CROSS_TRIPLET arm-linux-gnueabihf)
set(MB_CROSS_QEMU qemu-arm)
set(CMAKE_SYSTEM_PROCESSOR arm)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-common.cmake)
