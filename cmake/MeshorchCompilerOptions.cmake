# Warnings, sanitizers and ccache for every meshorch target.

find_program(MESHORCH_CCACHE ccache)
if(MESHORCH_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${MESHORCH_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${MESHORCH_CCACHE})
endif()

add_library(meshorch_warnings INTERFACE)
target_compile_options(meshorch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(MESHORCH_WARNINGS_AS_ERRORS)
  target_compile_options(meshorch_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives at -O2: Boost.JSON and std::variant (maybe-uninitialized,
  # restrict), Asio coroutine frames (mismatched-new-delete), Asio fences under TSan.
  target_compile_options(meshorch_warnings INTERFACE -Wno-maybe-uninitialized -Wno-restrict -Wno-tsan
                         -Wno-mismatched-new-delete
                         -Wno-null-dereference)
endif()

if(MESHORCH_SANITIZE)
  add_compile_options(-fsanitize=${MESHORCH_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MESHORCH_SANITIZE})
endif()
