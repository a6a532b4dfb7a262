// A minimal multipart/form-data reader (RFC 7578) for untrusted bodies: finds
// the part a form field name names. Parts are not copied; the views point
// into the body.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd::http {

// True when the Content-Type's media type is multipart/form-data.
bool IsMultipartFormData(std::string_view content_type);

struct FormPart {
  std::string_view name;      // Content-Disposition's name ("" when absent)
  std::string_view filename;  // and filename, for file parts
  std::string_view content;
};

inline constexpr size_t kMaxFormParts = 4096;

// Every part, in body order; InvalidArgument when the body or the boundary is
// malformed, or holds more than kMaxFormParts parts.
StatusOr<std::vector<FormPart>> ReadFormParts(std::string_view content_type, std::string_view body);

// The body of the first part named `name` (Content-Disposition: form-data;
// name="..."); NotFound when no part has that name, InvalidArgument when the
// body or the boundary is malformed.
StatusOr<std::string_view> FindFormField(std::string_view content_type, std::string_view body,
                                         std::string_view name);

}  // namespace inferd::http
