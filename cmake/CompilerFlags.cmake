# Warnings and optimisation. No -march=native: the same binary must run on any x86-64; SIMD
# paths are chosen at run time.
function(onyx_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare)
endfunction()

set(CMAKE_CXX_VISIBILITY_PRESET default)

if(ONYX_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
