# SPDX-License-Identifier: Apache-2.0
# umaccess_wdk.cmake - building a Windows driver's unchanged sources against umaccess
# (docs/porting.md). Included by umaccessConfig.cmake (find_package(umaccess)); in this source
# tree, include(cmake/umaccess_wdk.cmake).
#
#   umaccess_wdk_driver(<target>)
#     Makes <target>'s sources a driver port: its .c files are compiled as C++ (UMA_TRY needs
#     it), include/umaccess/wdk goes on its include path, so that the WDK's own include lines
#     (<ntddk.h>, <wdm.h>, <wdf.h>, <ntstrsafe.h>, <wdmsec.h>) resolve to umaccess's headers,
#     and three warnings about what is valid in the drivers' C dialect are turned off, since
#     -Werror would stop at them: -Wno-unknown-pragmas (MSVC's #pragma warning, prefast,
#     alloc_text, code_seg), -Wno-multichar (pool tags such as 'ELIF') and -Wno-write-strings
#     (`PCHAR data = "...";`, valid C). Nothing else is relaxed: no -fpermissive.
#
#   umaccess_wpp(<target> FUNC <spec>... [SCAN <file>...] [SOURCES <source>...])
#     What the WDK's tracewpp does for a source with WPP tracing: generates <stem>.tmh for
#     each source (SOURCES, default: the target's .c and .cpp sources) in
#     <binary dir>/<target>_wpp, which goes on the target's include path, so that
#     `#include "<stem>.tmh"` works unchanged. Each FUNC is a trace function as the WDK's
#     project settings (WppTraceFunction, -func:) declare it, e.g.
#       "TraceEvents(LEVEL,FLAGS,MSG,...)"            a macro TraceEvents(level, flags, msg, ...)
#       "Hexdump((LEVEL,FLAGS,MSG,...))"              called with double parentheses
#       "Trace{FLAG=MYDRIVER_ALL_INFO}(LEVEL,MSG,...)" a fixed argument
#     SCAN files (the driver's trace.h) are read for the same declarations inside
#     `// begin_wpp config` ... `// end_wpp` comments. The macros test the driver's
#     WPP_<ARG>_<ARG>_ENABLED(...) macro (the names of the arguments before MSG, fixed ones
#     first, as WPP composes them) and print through umaccess/wpp.h. The .tmh is regenerated
#     when this file or the FUNC list changes; it does not depend on the source's contents.
include_guard(GLOBAL)

set(_UMACCESS_WDK_MODULE_DIR "${CMAKE_CURRENT_LIST_DIR}")
if(NOT UMACCESS_WDK_INCLUDE_DIR)
  foreach(candidate "${CMAKE_CURRENT_LIST_DIR}/../include/umaccess/wdk"          # source tree
                    "${CMAKE_CURRENT_LIST_DIR}/../../../include/umaccess/wdk")   # installed
    if(EXISTS "${candidate}/ntddk.h")
      get_filename_component(UMACCESS_WDK_INCLUDE_DIR "${candidate}" ABSOLUTE)
      break()
    endif()
  endforeach()
endif()

function(umaccess_wdk_driver target)
  if(NOT UMACCESS_WDK_INCLUDE_DIR)
    message(FATAL_ERROR "umaccess_wdk_driver: include/umaccess/wdk not found")
  endif()
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    if(source MATCHES "\\.c$")
      set_source_files_properties(${source} TARGET_DIRECTORY ${target}
                                  PROPERTIES LANGUAGE CXX)
    endif()
  endforeach()
  target_include_directories(${target} PRIVATE "${UMACCESS_WDK_INCLUDE_DIR}")
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wno-unknown-pragmas -Wno-multichar -Wno-write-strings>)
endfunction()

# One FUNC declaration -> the #define lines of the .tmh (in out_var).
function(_umaccess_wpp_func spec out_var)
  string(STRIP "${spec}" spec)
  string(REGEX REPLACE "[ \t\r\n;]+$" "" spec "${spec}")
  string(REGEX REPLACE "[ \t]" "" spec "${spec}")
  set(fixed_names "")
  set(fixed_values "")
  if(spec MATCHES "^([A-Za-z_][A-Za-z0-9_]*)({([^}]*)})?(\\(\\(([^)]*)\\)\\)|\\(([^)]*)\\))$")
    set(name "${CMAKE_MATCH_1}")
    set(fixed "${CMAKE_MATCH_3}")
    if(CMAKE_MATCH_5)
      set(double TRUE)
      set(args "${CMAKE_MATCH_5}")
    else()
      set(double FALSE)
      set(args "${CMAKE_MATCH_6}")
    endif()
  else()
    message(FATAL_ERROR "umaccess_wpp: cannot read the trace function '${spec}'")
  endif()
  string(REPLACE "," ";" args "${args}")
  list(FIND args MSG msg_index)
  if(msg_index EQUAL -1)
    message(FATAL_ERROR "umaccess_wpp: '${spec}' has no MSG argument")
  endif()
  list(SUBLIST args 0 ${msg_index} params)  # the arguments before MSG
  # Fixed arguments {NAME=VALUE,...}: part of the condition's name, not of the call.
  set(condition_names "")
  set(condition_args "")
  set(level "TRACE_LEVEL_INFORMATION")
  set(flags_name "\"\"")
  if(fixed)
    string(REPLACE "," ";" fixed "${fixed}")
    foreach(pair IN LISTS fixed)
      string(REGEX MATCH "^([A-Za-z_][A-Za-z0-9_]*)=(.*)$" ok "${pair}")
      if(NOT ok)
        message(FATAL_ERROR "umaccess_wpp: cannot read '${pair}' in '${spec}'")
      endif()
      list(APPEND condition_names "${CMAKE_MATCH_1}")
      list(APPEND condition_args "${CMAKE_MATCH_2}")
      if(CMAKE_MATCH_1 STREQUAL "LEVEL")
        set(level "${CMAKE_MATCH_2}")
      elseif(CMAKE_MATCH_1 MATCHES "^FLAGS?$")
        set(flags_name "\"${CMAKE_MATCH_2}\"")
      endif()
    endforeach()
  endif()
  foreach(param IN LISTS params)
    list(APPEND condition_names "${param}")
    list(APPEND condition_args "${param}")
    if(param STREQUAL "LEVEL")
      set(level "LEVEL")
    elseif(param MATCHES "^FLAGS?$")
      set(flags_name "#${param}")
    endif()
  endforeach()
  if(condition_names)
    list(JOIN condition_names "_" joined)
    list(JOIN condition_args ", " cargs)
    set(condition "WPP_${joined}_ENABLED(${cargs})")
  else()
    set(condition "1")
  endif()
  list(JOIN params ", " plist)
  if(plist)
    set(plist "${plist}, ")
  endif()
  set(body "UMACCESS_WPP_TRACE(${condition}, ${level}, ${flags_name}, __VA_ARGS__)")
  if(double)
    set(text "#define ${name}(UMACCESS_WPP_ARGS) UMACCESS_WPP_${name}_ UMACCESS_WPP_ARGS\n")
    string(APPEND text "#define UMACCESS_WPP_${name}_(${plist}...) ${body}\n")
  else()
    set(text "#define ${name}(${plist}...) ${body}\n")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(umaccess_wpp target)
  cmake_parse_arguments(PARSE_ARGV 1 WPP "" "" "FUNC;SCAN;SOURCES")
  set(funcs ${WPP_FUNC})
  foreach(file IN LISTS WPP_SCAN)
    if(NOT IS_ABSOLUTE "${file}")
      set(file "${CMAKE_CURRENT_SOURCE_DIR}/${file}")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${file}")
    file(READ "${file}" content)
    string(REGEX MATCHALL "begin_wpp config[^\n]*\n(([^e\n]|e[^n\n]|en[^d\n]|end[^_\n])[^\n]*\n)*"
           blocks "${content}")
    foreach(block IN LISTS blocks)
      string(REGEX MATCHALL "FUNC[ \t]+[^;\n]*" found "${block}")
      foreach(f IN LISTS found)
        string(REGEX REPLACE "^FUNC[ \t]+" "" f "${f}")
        list(APPEND funcs "${f}")
      endforeach()
    endforeach()
  endforeach()
  if(NOT funcs)
    message(FATAL_ERROR "umaccess_wpp(${target}): no FUNC given or found")
  endif()
  set(defines "")
  foreach(f IN LISTS funcs)
    _umaccess_wpp_func("${f}" text)
    string(APPEND defines "${text}")
  endforeach()
  set(sources ${WPP_SOURCES})
  if(NOT sources)
    get_target_property(sources ${target} SOURCES)
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}_wpp")
  foreach(source IN LISTS sources)
    if(NOT source MATCHES "\\.(c|cc|cpp|cxx)$")
      continue()
    endif()
    get_filename_component(stem "${source}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${stem}" module)
    set(tmh "// Generated by umaccess_wpp() (cmake/umaccess_wdk.cmake) for ${source}: the WPP\n")
    string(APPEND tmh "// trace macros over umaccess/wpp.h. Do not edit.\n")
    string(APPEND tmh "#pragma once\n#define UMACCESS_WPP_MODULE \"${stem}\"\n")
    string(APPEND tmh "#include <umaccess/wpp.h>\n")
    string(APPEND tmh "#ifdef WPP_CONTROL_GUIDS\nenum UmaWppBits_${module} { WPP_CONTROL_GUIDS };\n#endif\n")
    string(APPEND tmh "${defines}")
    # Rewrite only when it changes (no needless rebuilds).
    set(path "${dir}/${stem}.tmh")
    set(old "")
    if(EXISTS "${path}")
      file(READ "${path}" old)
    endif()
    if(NOT old STREQUAL tmh)
      file(WRITE "${path}" "${tmh}")
    endif()
  endforeach()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               "${_UMACCESS_WDK_MODULE_DIR}/umaccess_wdk.cmake")
  target_include_directories(${target} PRIVATE "${dir}")
endfunction()
