# `cmake --install`: the public headers, libmeshorch, the CMake package (so a project can
# `find_package(meshorch CONFIG REQUIRED)` and link meshorch::meshorch or meshorch::capi) and
# the pkg-config files meshorch.pc and meshorch-c.pc. The C API (capi/), the Python package
# (bindings/python/) and the command (examples/) install themselves from their own directories;
# libmeshorch_c joins the export set meshorchTargets there.
#
# Only meshorch and meshorch_capi are exported. The object libraries meshorch_<part> are not:
# meshorch takes their objects ($<TARGET_OBJECTS>) without linking them, and meshorch_warnings is
# linked PRIVATE by every target that uses it, so neither reaches an exported interface.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MESHORCH_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/meshorch CACHE STRING
    "Where meshorchConfig.cmake is installed, relative to CMAKE_INSTALL_PREFIX")
set(MESHORCH_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig CACHE STRING
    "Where meshorch.pc and meshorch-c.pc are installed, relative to CMAKE_INSTALL_PREFIX")

install(TARGETS meshorch EXPORT meshorchTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/meshorch
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
install(EXPORT meshorchTargets NAMESPACE meshorch::
  DESTINATION ${MESHORCH_INSTALL_CMAKEDIR})

get_target_property(meshorch_library_type meshorch TYPE)
if(meshorch_library_type STREQUAL "SHARED_LIBRARY" AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  # What links libmeshorch.so finds the installed one wherever the prefix is.
  foreach(target meshorch_capi meshorch_cli _meshorch)
    if(TARGET ${target})
      get_target_property(type ${target} TYPE)
      if(target STREQUAL "_meshorch")
        set(from "/${MESHORCH_PYTHON_INSTALL_DIR}/meshorch")
      elseif(type STREQUAL "EXECUTABLE")
        set(from "/${CMAKE_INSTALL_BINDIR}")
      else()
        set(from "/${CMAKE_INSTALL_LIBDIR}")
      endif()
      file(RELATIVE_PATH to_libdir "${from}" "/${CMAKE_INSTALL_LIBDIR}")
      if(to_libdir)
        set(to_libdir "/${to_libdir}")
      endif()
      set_property(TARGET ${target} APPEND PROPERTY INSTALL_RPATH "$ORIGIN${to_libdir}")
    endif()
  endforeach()
endif()

# ---- CMake package ---------------------------------------------------------------------------

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/meshorchConfig.cmake.in
  ${PROJECT_BINARY_DIR}/meshorchConfig.cmake
  INSTALL_DESTINATION ${MESHORCH_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/meshorchConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/meshorchConfig.cmake
  ${PROJECT_BINARY_DIR}/meshorchConfigVersion.cmake
  DESTINATION ${MESHORCH_INSTALL_CMAKEDIR})

# ---- pkg-config ------------------------------------------------------------------------------
# `cmake --install build --prefix P` picks the prefix at install time, so the .pc files are made
# in two steps: at configure time everything but the prefix, at install time the prefix (the
# install code sees the final CMAKE_INSTALL_PREFIX).

foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(meshorch_pc_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(meshorch_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()

if(meshorch_library_type STREQUAL "STATIC_LIBRARY")
  # A static archive needs its dependencies on every link line, so they are not .private: a
  # plain `pkg-config --libs meshorch` links.
  set(meshorch_pc_requires "Requires: yaml-cpp spdlog openssl libssh sqlite3")
else()
  # libmeshorch.so carries yaml-cpp and spdlog itself; Boost.JSON stays public (the headers use
  # boost::json values).
  set(meshorch_pc_requires "Requires.private: yaml-cpp spdlog openssl libssh sqlite3")
endif()

set(meshorch_pc_stage ${PROJECT_BINARY_DIR}/pkgconfig)
set(meshorch_pc_files meshorch)
if(TARGET meshorch_capi)
  list(APPEND meshorch_pc_files meshorch-c)
endif()
set(MESHORCH_PC_PREFIX "@MESHORCH_PC_PREFIX@")  # kept for the install-time step
foreach(pc IN LISTS meshorch_pc_files)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${meshorch_pc_stage}/${pc}.pc.in @ONLY)
  install(CODE "
    set(MESHORCH_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${meshorch_pc_stage}/${pc}.pc.in\" \"${meshorch_pc_stage}/install/${pc}.pc\"
                   @ONLY)")
  install(FILES ${meshorch_pc_stage}/install/${pc}.pc
          DESTINATION ${MESHORCH_INSTALL_PKGCONFIGDIR})
endforeach()
