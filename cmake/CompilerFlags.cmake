# Warnings and optimisation. No -march=native: the same binary must run on any x86-64; SIMD
# paths are chosen at run time.
function(onyx_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare)
endfunction()

set(CMAKE_CXX_VISIBILITY_PRESET default)

# Sanitizer builds (scripts/sanitize.sh): every object, tests included, is instrumented. UBSan
# findings are fatal so that a test cannot pass over undefined behaviour.
if(ONYX_SANITIZE STREQUAL "address" OR ONYX_SANITIZE STREQUAL "ON")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(ONYX_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(ONYX_SANITIZE AND NOT ONYX_SANITIZE STREQUAL "OFF")
  message(FATAL_ERROR "ONYX_SANITIZE must be address, thread or empty, not '${ONYX_SANITIZE}'")
endif()

# libFuzzer: coverage instrumentation everywhere, the fuzzer runtime only in the fuzz targets.
if(ONYX_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ONYX_BUILD_FUZZERS needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
