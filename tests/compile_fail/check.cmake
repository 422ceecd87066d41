# SPDX-License-Identifier: Apache-2.0
# tests/compile_fail/check.cmake - runs the compile-fail cases of SOURCE.
#   cmake -DCXX=<c++ compiler> -DINCLUDE=<include dir> -DSOURCE=<file> -P check.cmake
# SOURCE declares its case count on a `// CASES: N` line and each failing case on an
# `#elif CASE == K  // expect: TEXT` line. Case 0 must compile; case K (1..N) must fail
# with a "static assertion failed" (Clang: "static_assert failed") diagnostic whose line
# contains TEXT.
foreach(var CXX INCLUDE SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compile_fail: -D${var}=... is required")
  endif()
endforeach()

file(READ "${SOURCE}" text)
if(NOT text MATCHES "// CASES: ([0-9]+)")
  message(FATAL_ERROR "compile_fail: ${SOURCE} has no `// CASES: N` line")
endif()
set(count ${CMAKE_MATCH_1})

# The expected text of each failing case; every case 1..count must have one.
foreach(k RANGE 1 ${count})
  if(NOT text MATCHES "#elif CASE == ${k}  // expect: ([^\n]+)")
    message(FATAL_ERROR "compile_fail: case ${k} of ${count} has no `#elif CASE == ${k}  // expect:` line")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" expect_${k})
endforeach()
if(text MATCHES "#elif CASE == ([0-9]+)" )
  string(REGEX MATCHALL "#elif CASE == [0-9]+" all_cases "${text}")
  list(LENGTH all_cases listed)
  if(NOT listed EQUAL count)
    message(FATAL_ERROR "compile_fail: ${listed} failing cases in the source, but `// CASES: ${count}`")
  endif()
endif()

function(compile k out_result out_output)
  execute_process(
    COMMAND "${CXX}" -std=c++17 -fsyntax-only "-I${INCLUDE}" -DCASE=${k} "${SOURCE}"
    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  set(${out_result} "${result}" PARENT_SCOPE)
  set(${out_output} "${output}" PARENT_SCOPE)
endfunction()

compile(0 result output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "compile_fail: case 0 (correct uses) does not compile:\n${output}")
endif()
message(STATUS "case 0: compiles")

set(failures "")
foreach(k RANGE 1 ${count})
  compile(${k} result output)
  if(result EQUAL 0)
    string(APPEND failures "case ${k} compiled; it must fail with \"${expect_${k}}\"\n")
  else()
    # The expected text must be on the static assertion's own diagnostic line (not merely in
    # a note that quotes the macro), searched as plain text. GCC and newer Clang say "static
    # assertion failed", older Clang "static_assert failed".
    string(REGEX MATCHALL "static(_assert| assertion) failed[^\n]*" asserts "${output}")
    string(FIND "${asserts}" "${expect_${k}}" at)
    if(at EQUAL -1)
      string(APPEND failures
             "case ${k} failed, but not with \"static assertion failed ... ${expect_${k}}\":\n${output}\n")
    else()
      message(STATUS "case ${k}: fails with \"${expect_${k}}\"")
    endif()
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "compile_fail:\n${failures}")
endif()
