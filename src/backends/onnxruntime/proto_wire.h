// Protobuf wire-format writers for the few ONNX messages inferd builds by
// hand (the engine-limit probe, tests). Stateless.
#pragma once

#include <cstdint>
#include <string>

namespace inferd::ort::wire {

inline std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

// A length-delimited field (string, bytes or a nested message).
inline std::string Bytes(int field, const std::string& value) {
  return Varint((static_cast<uint64_t>(field) << 3) | 2) + Varint(value.size()) + value;
}

// A varint field.
inline std::string Number(int field, uint64_t value) {
  return Varint(static_cast<uint64_t>(field) << 3) + Varint(value);
}

}  // namespace inferd::ort::wire
