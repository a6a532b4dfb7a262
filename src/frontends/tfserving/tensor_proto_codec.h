// tensorflow.TensorProto <-> inferd tensors, for TF Serving's gRPC API.
//
// Decoding accepts both forms TF clients send: `tensor_content` (row-major
// little-endian bytes, what tf.make_tensor_proto writes for numbers) and the
// typed fields (float_val, int_val, int64_val, string_val, bool_val, half_val
// with fp16/bf16 bits, double_val, uint32_val, uint64_val). Typed fields
// hold either one value per element or a single value, which is broadcast
// over the shape. Unlike TensorFlow, which pads a short list with its last
// value (or zeros), any other count is an error: it is almost always a bug.
// Encoding writes the typed fields by default, as TF Serving does
// (Tensor::AsProtoField): clients read `outputs[k].float_val` directly. With
// `TensorEncoding::kTensorContent` (TF Serving's
// --enable_serialization_as_tensor_content) numbers go to `tensor_content`;
// strings always go to `string_val`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "tf_framework.pb.h"

namespace inferd::tfserving {

// The most bytes a single typed value may be broadcast to, so a tiny message
// cannot ask for an unbounded allocation.
inline constexpr uint64_t kMaxBroadcastBytes = uint64_t{64} << 20;

// Decodes `proto` into a tensor called `name`. Bytes from `tensor_content`
// are borrowed from `proto`; `owner` must keep it alive (it may be empty when
// the caller guarantees that itself).
StatusOr<Tensor> DecodeTensorProto(const std::string& name, const tensorflow::TensorProto& proto,
                                   std::shared_ptr<const void> owner);

enum class TensorEncoding { kTypedFields, kTensorContent };

// Fills `out` (assumed empty) from `tensor`.
void EncodeTensorProto(const Tensor& tensor, tensorflow::TensorProto& out,
                       TensorEncoding encoding = TensorEncoding::kTypedFields);

}  // namespace inferd::tfserving
