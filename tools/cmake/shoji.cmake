# Compiler settings shared by every part of the build.

set(SHOJI_DEPS_DIR ${PROJECT_SOURCE_DIR}/.deps CACHE PATH
    "Where tools/shoji setup unpacks Debian's kernel, busybox and sources")

set(SHOJI_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes)

execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE SHOJI_GCC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)

# Code that runs without an OS: the core (ring 0, code model "kernel",
# upper 2 GiB) and the emulator micro-guests (code model "small", low
# memory).  No SSE anywhere: the guest's vector registers stay live while
# the core runs.  Frame pointers stay for panic backtraces.
function(shoji_freestanding target model)
  # A third argument FPU keeps the vector registers usable (domains the
  # manifest grants the FPU: kernel/dom/fpu.c switches their state).
  if("${ARGV2}" STREQUAL "FPU")
    set(regs -msse2 -mno-avx)
  else()
    set(regs -mgeneral-regs-only)
  endif()
  target_compile_options(${target} PRIVATE
    ${SHOJI_WARNINGS}
    -O2 -g -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie
    -mno-red-zone ${regs} -mcmodel=${model} -fcf-protection=none
    -fno-asynchronous-unwind-tables -fno-omit-frame-pointer
    -fno-tree-loop-distribute-patterns
    -nostdinc "SHELL:-isystem ${PROJECT_SOURCE_DIR}/libc/include"
    "SHELL:-isystem ${SHOJI_GCC_INCLUDE}")
  # (CMake drops the compiler's own include directory from
  # target_include_directories, hence -isystem by hand.)
endfunction()

function(shoji_freestanding_link target script)
  target_link_options(${target} PRIVATE
    -nostdlib -static -no-pie -Wl,-T,${script} -Wl,-z,max-page-size=0x1000
    -Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)
  set_target_properties(${target} PROPERTIES LINK_DEPENDS ${script})
endfunction()

# Host unit tests: the same pure-logic sources, built with glibc, cmocka and
# the sanitizers.
find_library(CMOCKA_LIBRARY cmocka)
find_path(CMOCKA_INCLUDE cmocka.h)
set(SHOJI_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)

function(shoji_host_test name)
  cmake_parse_arguments(T "" "" "SOURCES;INCLUDES;DEFINES" ${ARGN})
  add_executable(${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/kernel/tests/host_compat.c)
  target_compile_options(${name} PRIVATE ${SHOJI_WARNINGS} -O1 -g ${SHOJI_SANITIZERS}
    -Wno-missing-prototypes -include ${PROJECT_SOURCE_DIR}/kernel/tests/host_compat.h)
  target_link_options(${name} PRIVATE ${SHOJI_SANITIZERS})
  target_include_directories(${name} PRIVATE ${T_INCLUDES} ${CMOCKA_INCLUDE})
  target_compile_definitions(${name} PRIVATE SHOJI_HOST_TEST ${T_DEFINES})
  target_link_libraries(${name} PRIVATE ${CMOCKA_LIBRARY})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit)
endfunction()
