# SPDX-License-Identifier: Apache-2.0
# The installable library: libbnn.so (shared) and libbnn.a (static), both
# holding the engine, the kernels and the model format; public headers under
# include/bnn (no FlatBuffers headers among them); a CMake package
# (find_package(bnn CONFIG REQUIRED) -> bnn::bnn, bnn::bnn_static) and a
# pkg-config file (bnn.pc).
include(GNUInstallDirs)

set(bnn_parts bnn_engine bnn_model_format bnn_kernels)

# Shared: the three archives linked whole into one .so.
file(WRITE ${CMAKE_BINARY_DIR}/generated/bnn_library.cc "// libbnn: the engine's archives, linked whole.\n")
add_library(bnn_shared SHARED ${CMAKE_BINARY_DIR}/generated/bnn_library.cc)
set(whole "")
foreach(part ${bnn_parts})
  list(APPEND whole "$<TARGET_FILE:${part}>")
endforeach()
add_dependencies(bnn_shared ${bnn_parts})
target_link_libraries(bnn_shared PRIVATE -Wl,--whole-archive ${whole} -Wl,--no-whole-archive Threads::Threads
                                         -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/libbnn.map)
set_target_properties(bnn_shared PROPERTIES LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/libbnn.map)
set_target_properties(bnn_shared PROPERTIES OUTPUT_NAME bnn VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
                                            LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)

# Static: the three archives merged into one (GNU ar's MRI script).
set(bnn_static_archive ${CMAKE_BINARY_DIR}/lib/libbnn.a)
set(mri "CREATE ${bnn_static_archive}\n")
foreach(part ${bnn_parts})
  string(APPEND mri "ADDLIB $<TARGET_FILE:${part}>\n")
endforeach()
string(APPEND mri "SAVE\nEND\n")
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/generated/libbnn.mri CONTENT "${mri}")
add_custom_command(
  OUTPUT ${bnn_static_archive}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/lib
  COMMAND ${CMAKE_COMMAND} -E rm -f ${bnn_static_archive}
  COMMAND ${CMAKE_AR} -M < ${CMAKE_BINARY_DIR}/generated/libbnn.mri
  DEPENDS ${bnn_parts} ${CMAKE_BINARY_DIR}/generated/libbnn.mri
  COMMENT "Merging the engine's archives into libbnn.a")
add_custom_target(bnn_static ALL DEPENDS ${bnn_static_archive})

install(TARGETS bnn_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT library NAMELINK_COMPONENT dev)
install(FILES ${bnn_static_archive} DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/engine/include/bnn/bnn.h ${PROJECT_SOURCE_DIR}/engine/include/bnn/engine.h
              ${PROJECT_SOURCE_DIR}/engine/include/bnn/image.h ${PROJECT_SOURCE_DIR}/engine/include/bnn/classifier.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bnn COMPONENT dev)

# What a static link needs besides libbnn.a: the C++ runtime and threads.
set(BNN_STATIC_LINK_FLAGS "-lstdc++ -lm -pthread")
# Both files find the prefix relative to themselves: the install can move.
file(RELATIVE_PATH BNN_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
file(RELATIVE_PATH BNN_CONFIG_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/cmake/bnn" "/p")
configure_file(${PROJECT_SOURCE_DIR}/cmake/bnn.pc.in ${CMAKE_BINARY_DIR}/generated/bnn.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/bnn-static.pc.in ${CMAKE_BINARY_DIR}/generated/bnn-static.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/bnnConfig.cmake.in ${CMAKE_BINARY_DIR}/generated/bnnConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/generated/bnnConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/generated/bnn.pc ${CMAKE_BINARY_DIR}/generated/bnn-static.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
install(FILES ${CMAKE_BINARY_DIR}/generated/bnnConfig.cmake ${CMAKE_BINARY_DIR}/generated/bnnConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bnn COMPONENT dev)
