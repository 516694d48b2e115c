# `find_package(meshorch CONFIG REQUIRED)` for projects that link meshorch::meshorch.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS meshorch EXPORT meshorchTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/meshorch
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT meshorchTargets NAMESPACE meshorch::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/meshorch)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/meshorchConfig.cmake.in
  ${PROJECT_BINARY_DIR}/meshorchConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/meshorch)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/meshorchConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/meshorchConfig.cmake
  ${PROJECT_BINARY_DIR}/meshorchConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/meshorch)
