# SPDX-License-Identifier: Apache-2.0
# tests/fuzz/run_fuzzer.cmake - runs one libFuzzer target for a bounded time over a fresh copy
# of its committed corpus (ctest), or a longer session whose new finds are merged back into
# the committed corpus (the fuzz_session_<target> build targets). Invoked with cmake -P:
#
#   -DFUZZER=<binary> -DCORPUS=<committed corpus dir> -DWORK=<scratch dir> -DSECONDS=<n>
#   [-DARGS=<flags>]      more libFuzzer flags, space-separated (e.g. "-max_len=256")
#   [-DMERGE=ON]          afterwards, add the inputs that reach new coverage to CORPUS
#   [-DINJECT=<kind>]     self-test: UMACCESS_FUZZ_INJECT=<kind> (mismatch, segv); the run
#   [-DEXPECT=<regex>]    must then fail, with output matching EXPECT
#   [-DREJECT=<regex>]    ... and not matching REJECT
#
# A failing run leaves the input that failed in WORK/artifacts; rerun the fuzzer binary with
# that file as its only argument to reproduce it.
cmake_minimum_required(VERSION 3.22)
foreach(var FUZZER CORPUS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: ${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${CORPUS}/*")
if(seeds)
  file(COPY ${seeds} DESTINATION "${WORK}/corpus")
endif()

separate_arguments(extra UNIX_COMMAND "${ARGS}")
set(args -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix=${WORK}/artifacts/ ${extra})
if(DEFINED INJECT)
  set(ENV{UMACCESS_FUZZ_INJECT} "${INJECT}")
  list(APPEND args -seed=1)
else()
  unset(ENV{UMACCESS_FUZZ_INJECT})
endif()

if(DEFINED EXPECT)
  execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "self-test: the fuzzer ran ${SECONDS} s without failing, but "
                        "UMACCESS_FUZZ_INJECT=${INJECT} must make it fail")
  endif()
  if(NOT out MATCHES "${EXPECT}")
    message(FATAL_ERROR "self-test: the fuzzer failed, but not with \"${EXPECT}\"")
  endif()
  if(DEFINED REJECT AND out MATCHES "${REJECT}")
    message(FATAL_ERROR "self-test: the fuzzer failed with \"${REJECT}\", not for the injected "
                        "reason")
  endif()
  message("self-test passed: UMACCESS_FUZZ_INJECT=${INJECT} was caught (\"${EXPECT}\")")
  return()
endif()

execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found "${WORK}/artifacts/*")
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); the input: ${found}\n"
                      "Reproduce: ${FUZZER} <that file>")
endif()

if(MERGE)
  # Only inputs that reach a code edge no committed input reaches are added (edge presence,
  # no hit counts, no harness combination counters), which keeps the committed corpus small;
  # each run re-explores the size-class and fault-position combinations from it.
  file(GLOB before "${CORPUS}/*")
  list(LENGTH before n_before)
  set(ENV{UMACCESS_FUZZ_EDGES_ONLY} 1)
  execute_process(COMMAND "${FUZZER}" -merge=1 -use_counters=0 -rss_limit_mb=2048 -timeout=10
                          ${extra} "${CORPUS}" "${WORK}/corpus"
                  RESULT_VARIABLE rc)
  unset(ENV{UMACCESS_FUZZ_EDGES_ONLY})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "merging into ${CORPUS} failed (exit ${rc})")
  endif()
  file(GLOB after "${CORPUS}/*")
  list(LENGTH after n_after)
  set(bytes 0)
  foreach(f IN LISTS after)
    file(SIZE "${f}" size)
    math(EXPR bytes "${bytes} + ${size}")
  endforeach()
  math(EXPR added "${n_after} - ${n_before}")
  message("merged ${added} new inputs into ${CORPUS}: now ${n_after} files, ${bytes} bytes")
  if(n_after GREATER 100 OR bytes GREATER 204800)
    message(WARNING "the corpus is over its budget (100 files, 200 KB): minimise it with "
                    "`UMACCESS_FUZZ_EDGES_ONLY=1 ${FUZZER} -merge=1 -use_counters=0 <empty dir> "
                    "${CORPUS}` and replace it with the result")
  endif()
endif()
