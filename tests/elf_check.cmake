# SPDX-License-Identifier: Apache-2.0
# tests/elf_check.cmake - object hygiene: every assembly object marks its stack
# non-executable (and, on AArch64, declares BTI/PAC), and neither the shared library nor a
# PIE user of it has text relocations.
#   cmake -DOBJECTS="a.o|b.o" -DSHARED=libumaccess.so -DPIE=exe -P elf_check.cmake
string(REPLACE "|" ";" objects "${OBJECTS}")
set(asm_objects 0)
foreach(obj IN LISTS objects)
  if(NOT obj MATCHES "\\.(asm|S)\\.o$")
    continue()
  endif()
  math(EXPR asm_objects "${asm_objects} + 1")
  execute_process(COMMAND readelf -SW ${obj} OUTPUT_VARIABLE sections)
  if(NOT sections MATCHES "\\.note\\.GNU-stack +PROGBITS[^\n]*\n")
    message(FATAL_ERROR "${obj}: no .note.GNU-stack section (executable stack)")
  endif()
  string(REGEX MATCH "\\.note\\.GNU-stack[^\n]*" line "${sections}")
  if(line MATCHES " [A-Z]*X[A-Z]* ")
    message(FATAL_ERROR "${obj}: .note.GNU-stack asks for an executable stack: ${line}")
  endif()
  # AArch64: every object must say it is BTI and PAC compatible, or the linker drops the
  # property from the whole program and BTI is off for all of it. (Whether a linked binary
  # keeps it also depends on the toolchain's own objects: Debian 12's crt files and
  # cpu_features archive are not marked, so only our objects are checked.)
  execute_process(COMMAND readelf -hn ${obj} OUTPUT_VARIABLE header)
  if(header MATCHES "Machine: +AArch64" AND NOT header MATCHES "AArch64 feature: BTI, PAC")
    message(FATAL_ERROR "${obj}: no GNU property note with BTI and PAC")
  endif()
endforeach()
if(asm_objects EQUAL 0)
  message(FATAL_ERROR "no assembly objects among: ${OBJECTS}")
endif()
foreach(elf ${SHARED} ${PIE})
  execute_process(COMMAND readelf -dW ${elf} OUTPUT_VARIABLE dyn)
  if(dyn MATCHES "TEXTREL")
    message(FATAL_ERROR "${elf} has text relocations")
  endif()
  execute_process(COMMAND readelf -lW ${elf} OUTPUT_VARIABLE phdrs)
  string(REGEX MATCH "GNU_STACK[^\n]*" stack "${phdrs}")
  if(NOT stack MATCHES " RW  ")
    message(FATAL_ERROR "${elf}: stack is not RW-only: ${stack}")
  endif()
endforeach()
message(STATUS "${asm_objects} assembly objects checked; no TEXTREL, non-executable stack")
