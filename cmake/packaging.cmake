# SPDX-License-Identifier: Apache-2.0
# Debian packages with cpack (cd build && cpack): one per component, for the
# architecture this build targets (amd64, or arm64 / armhf when cross-built
# for a Raspberry Pi):
#   libbnn0           the shared library
#   libbnn-dev        headers, static library, CMake package, bnn.pc
#   bnn-tools         bnn-classify, bnn-camera, bnn-run, bnn-bench, bnn-tune,
#                     the bundled model
#   bnn-converter     bnn-convert (where built): the one package that needs
#                     libonnx1 and libprotobuf32
#   gstreamer1.0-bnn  the bnnclassify element (where GStreamer was found), in
#                     the plugin directory of the system's GStreamer
#   python3-bnn       the Python package (where pybind11 was found), in
#                     /usr/lib/python3.X/dist-packages; its extension links the
#                     converter, so it needs ONNX and protobuf like bnn-converter
# Each carries LICENSE and THIRD_PARTY_NOTICES.md in /usr/share/doc/<package>.
# Dependencies are the Debian / Raspberry Pi OS runtime packages the binaries
# link; none but python3-bnn needs Python, none needs oneDNN.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(deb_arch arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(arm|armv7.*)$")
  set(deb_arch armhf)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(deb_arch amd64)
else()
  set(deb_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bnn)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "bnn-engine developers <bnn-engine@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Binarized and low-bit neural network inference engine")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${deb_arch})
set(CPACK_DEBIAN_PACKAGE_SECTION science)

set(runtime_depends "libc6, libstdc++6, libgcc-s1")
set(CPACK_DEBIAN_LIBRARY_PACKAGE_NAME libbnn0)
set(CPACK_DEBIAN_LIBRARY_PACKAGE_DEPENDS "${runtime_depends}")
set(CPACK_COMPONENT_LIBRARY_DESCRIPTION "bnn-engine: the inference library (libbnn.so)")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libbnn-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libbnn0 (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION "bnn-engine: C and C++ headers, static library, CMake and pkg-config files")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME bnn-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${runtime_depends}")
set(CPACK_DEBIAN_CONVERTER_PACKAGE_NAME bnn-converter)
set(CPACK_DEBIAN_CONVERTER_PACKAGE_DEPENDS "${runtime_depends}, libonnx1, libprotobuf32")
set(CPACK_COMPONENT_CONVERTER_DESCRIPTION "bnn-engine: bnn-convert, PyTorch (ONNX, checkpoints, safetensors) to .bnn models")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "bnn-engine: bnn-classify, bnn-camera, bnn-run, bnn-bench, bnn-tune and the bundled model")
set(CPACK_DEBIAN_GSTREAMER_PACKAGE_NAME gstreamer1.0-bnn)
set(CPACK_DEBIAN_GSTREAMER_PACKAGE_DEPENDS "${runtime_depends}, libglib2.0-0, libgstreamer1.0-0, libgstreamer-plugins-base1.0-0")
set(CPACK_COMPONENT_GSTREAMER_DESCRIPTION "bnn-engine: the bnnclassify GStreamer element")
set(CPACK_COMPONENTS_ALL library dev tools)
if(TARGET bnn-convert)
  list(APPEND CPACK_COMPONENTS_ALL converter)
endif()
if(TARGET gstbnnclassify)
  list(APPEND CPACK_COMPONENTS_ALL gstreamer)
endif()
if(TARGET _bnn AND TARGET bnn-convert)
  list(APPEND CPACK_COMPONENTS_ALL python)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-bnn)
  # The extension is built for one CPython (its ABI tag names the version).
  math(EXPR python_next_minor "${BNN_PYTHON_VERSION_MINOR} + 1")
  set(python_abi "python3 (>= ${BNN_PYTHON_VERSION_MAJOR}.${BNN_PYTHON_VERSION_MINOR}), python3 (<< ${BNN_PYTHON_VERSION_MAJOR}.${python_next_minor})")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "${runtime_depends}, ${python_abi}, python3-numpy, libonnx1, libprotobuf32")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_RECOMMENDS "python3-torch, python3-pil")
  set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
  set(CPACK_COMPONENT_PYTHON_DESCRIPTION "bnn-engine: the bnn Python package (convert PyTorch models, run them)")
endif()
# The licences, in each package's documentation directory.
set(package_of_library libbnn0)
set(package_of_dev libbnn-dev)
set(package_of_tools bnn-tools)
set(package_of_converter bnn-converter)
set(package_of_gstreamer gstreamer1.0-bnn)
set(package_of_python python3-bnn)
foreach(component IN LISTS CPACK_COMPONENTS_ALL)
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/THIRD_PARTY_NOTICES.md
          DESTINATION share/doc/${package_of_${component}} COMPONENT ${component})
endforeach()
include(CPack)
