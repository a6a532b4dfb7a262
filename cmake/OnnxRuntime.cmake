# Imports the ONNX Runtime SDK that scripts/fetch_onnxruntime.sh assembled from
# registry packages (library from Maven Central, headers as that script says).
if(NOT INFERD_ORT_ROOT)
  message(FATAL_ERROR "INFERD_ORT_ROOT is not set: run scripts/fetch_onnxruntime.sh (make does)")
endif()
find_path(INFERD_ORT_INCLUDE onnxruntime_cxx_api.h PATHS ${INFERD_ORT_ROOT}/include NO_DEFAULT_PATH REQUIRED)
find_library(INFERD_ORT_LIBRARY onnxruntime PATHS ${INFERD_ORT_ROOT}/lib NO_DEFAULT_PATH REQUIRED)
get_filename_component(INFERD_ORT_LIBDIR ${INFERD_ORT_LIBRARY} DIRECTORY)
add_library(onnxruntime::onnxruntime SHARED IMPORTED)
set_target_properties(onnxruntime::onnxruntime PROPERTIES
  IMPORTED_LOCATION ${INFERD_ORT_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${INFERD_ORT_INCLUDE})
message(STATUS "ONNX Runtime: ${INFERD_ORT_LIBRARY}")
