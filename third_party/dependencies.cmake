# SPDX-License-Identifier: Apache-2.0
# Finds every external dependency. All of them are Debian packages (also on
# Raspberry Pi OS); a missing one stops configuration with one line naming the
# package to install.

macro(bnn_require condition package)
  if(NOT (${condition}))
    message(FATAL_ERROR "bnn-engine: missing dependency, install the Debian package: apt-get install ${package}")
  endif()
endmacro()

# FlatBuffers: header-only use of the runtime; the host flatc compiles the schema.
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h)
bnn_require(FLATBUFFERS_INCLUDE_DIR libflatbuffers-dev)
find_program(FLATC_EXECUTABLE flatc)
bnn_require(FLATC_EXECUTABLE flatbuffers-compiler)
add_library(bnn_flatbuffers INTERFACE)
target_include_directories(bnn_flatbuffers SYSTEM INTERFACE ${FLATBUFFERS_INCLUDE_DIR})

# stb_image (image decoding): header only, compiled in exactly one source file
# with the formats we document; Debian's prebuilt libstb.so is never linked.
find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb)
bnn_require(STB_INCLUDE_DIR libstb-dev)

# Threads inside layers: the engine's own pool on the C++ runtime's threads.
find_package(Threads REQUIRED)
# OpenMP only for bnn-bench's oneDNN baseline (Debian's oneDNN runs on it).
find_package(OpenMP COMPONENTS CXX QUIET)

if(BNN_BUILD_TESTS)
  find_path(DOCTEST_INCLUDE_DIR doctest/doctest.h)
  bnn_require(DOCTEST_INCLUDE_DIR doctest-dev)
  find_file(DOCTEST_CMAKE_SCRIPT doctest.cmake PATHS /usr/lib/cmake/doctest ${DOCTEST_INCLUDE_DIR}/../lib/cmake/doctest NO_DEFAULT_PATH)
  bnn_require(DOCTEST_CMAKE_SCRIPT doctest-dev)
  add_library(bnn_doctest INTERFACE)
  target_include_directories(bnn_doctest SYSTEM INTERFACE ${DOCTEST_INCLUDE_DIR})
endif()

# ONNX's protobuf definitions, for the converter only (never the engine).
if(BNN_BUILD_CONVERTER)
  find_path(ONNX_INCLUDE_DIR onnx/onnx_pb.h)
  find_library(ONNX_PROTO_LIBRARY onnx_proto)
  bnn_require(ONNX_INCLUDE_DIR libonnx-dev)
  bnn_require(ONNX_PROTO_LIBRARY libonnx-dev)
  find_path(PROTOBUF_INCLUDE_DIR google/protobuf/message.h)
  find_library(PROTOBUF_LIBRARY protobuf)
  bnn_require(PROTOBUF_INCLUDE_DIR libprotobuf-dev)
  bnn_require(PROTOBUF_LIBRARY libprotobuf-dev)
  add_library(bnn_onnx_proto INTERFACE)
  target_include_directories(bnn_onnx_proto SYSTEM INTERFACE ${ONNX_INCLUDE_DIR} ${PROTOBUF_INCLUDE_DIR})
  target_link_libraries(bnn_onnx_proto INTERFACE ${ONNX_PROTO_LIBRARY} ${PROTOBUF_LIBRARY})
endif()
