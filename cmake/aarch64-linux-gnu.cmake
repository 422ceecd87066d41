# SPDX-License-Identifier: Apache-2.0
# cmake/aarch64-linux-gnu.cmake - cross-build umaccess for 64-bit ARM Linux from an x86-64
# Debian machine, and run its tests there under qemu-user:
#
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   cmake --build build-arm64 && ctest --test-dir build-arm64
#
# Needs Debian's cross compiler and the arm64 (multi-arch) builds of the dependencies, which
# `cmake/dev.sh deps` installs: g++-aarch64-linux-gnu, qemu-user-static, and
# libgtest-dev:arm64, libbenchmark-dev:arm64, libcpu-features-dev:arm64. Multi-arch puts the
# arm64 libraries in /usr/lib/aarch64-linux-gnu and their CMake packages beside them, so no
# separate sysroot is needed: the cross toolchain and qemu both look there.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)

# With the library architecture set, find_package and find_library look in
# /usr/lib/aarch64-linux-gnu (the arm64 packages' libraries and CMake configs) and never in
# the build machine's /usr/lib/x86_64-linux-gnu.

# ctest (and gtest_discover_tests) run every test binary under qemu. -L: where the dynamic
# loader and the arm64 shared libraries live (multi-arch keeps them under /, so / it is).
find_program(UMACCESS_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${UMACCESS_QEMU_AARCH64};-L;/)
