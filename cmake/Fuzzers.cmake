# libFuzzer targets for every parser of untrusted input (clang only).
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "INFERD_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
foreach(target kserve_infer model_config onnx_graph_reader csv mlflow_body torchserve_body predict_body
               content_coding api_key_header authorization_header jwt audit_verify config_file
               tfserving_rest tensor_proto repository_body registry_body route_json job_input redis_url)
  add_executable(fuzz_${target} tests/fuzz/fuzz_${target}.cc)
  target_compile_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${target} PRIVATE inferd_jobs inferd_http inferd_ort inferd_storage
                                                  inferd_config)
  set_target_properties(fuzz_${target} PROPERTIES BUILD_RPATH "${INFERD_ORT_LIBDIR}")
endforeach()
