# SPDX-License-Identifier: Apache-2.0
# tests/package_test.cmake - builds and runs tests/consumer against umaccess, either from an
# install prefix (MODE=install) or through add_subdirectory (MODE=subdirectory). From the
# install prefix it also builds the same program with the compiler (CXX) and pkg-config's
# flags alone, shared and static.
#   cmake -DMODE=... -DSOURCE_DIR=... -DBUILD_DIR=... -DWORK_DIR=... -P package_test.cmake
# A cross build passes its TOOLCHAIN file and EMULATOR (a ;-list), used for the consumer too.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(consumer_args -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release)
if(TOOLCHAIN)
  list(APPEND consumer_args -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN})
endif()
if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
  foreach(f include/umaccess/usermode_accessors.h lib/cmake/umaccess/umaccessConfig.cmake)
    file(GLOB found ${WORK_DIR}/prefix/${f} ${WORK_DIR}/prefix/lib/*/cmake/umaccess/umaccessConfig.cmake)
    if(NOT found)
      message(FATAL_ERROR "not installed: ${f}")
    endif()
  endforeach()
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND consumer_args -DUMACCESS_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2)
run(${EMULATOR} ${WORK_DIR}/build/consumer)

if(MODE STREQUAL "install")
  file(GLOB_RECURSE pc_files ${WORK_DIR}/prefix/*/umaccess.pc)
  if(NOT pc_files)
    message(FATAL_ERROR "not installed: umaccess.pc")
  endif()
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  foreach(linkage shared static)
    set(static_flag "")
    if(linkage STREQUAL "static")
      set(static_flag --static)
    endif()
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir} PKG_CONFIG_LIBDIR=${pc_dir}
              pkg-config --cflags --libs ${static_flag} umaccess
      RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "pkg-config umaccess failed: ${err}")
    endif()
    separate_arguments(flags UNIX_COMMAND "${flags}")
    set(exe ${WORK_DIR}/pkgconfig_${linkage})
    if(linkage STREQUAL "static")
      # Prefer the archive: -Bstatic around our flags only.
      run(${CXX} -std=c++17 ${SOURCE_DIR}/tests/linkmode/smoke.cpp -o ${exe}
          -Wl,-Bstatic ${flags} -Wl,-Bdynamic)
    else()
      # The shared library found at run time through an rpath to the install prefix.
      string(REGEX MATCH "-L[^;]+" libdir_flag "${flags}")
      string(SUBSTRING "${libdir_flag}" 2 -1 libdir)
      run(${CXX} -std=c++17 ${SOURCE_DIR}/tests/linkmode/smoke.cpp -o ${exe} ${flags}
          -Wl,-rpath,${libdir})
    endif()
    run(${EMULATOR} ${exe})
  endforeach()
endif()
