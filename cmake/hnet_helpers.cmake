# Helper functions shared by the library, tool, tests and benchmarks.

# Warnings and sanitizers, applied per target (never through CMAKE_CXX_FLAGS).
function(hnet_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(HNET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  set(san "")
  if(HNET_SANITIZE_ADDRESS)
    list(APPEND san -fsanitize=address -fno-omit-frame-pointer)
  endif()
  if(HNET_SANITIZE_UNDEFINED)
    list(APPEND san -fsanitize=undefined)
  endif()
  if(san)
    target_compile_options(${target} PRIVATE ${san})
    target_link_options(${target} PRIVATE ${san})
  endif()
endfunction()

