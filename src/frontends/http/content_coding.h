// HTTP content codings (RFC 9110 8.4): gzip and deflate request bodies are
// decoded before routing, and answers are compressed when Accept-Encoding
// asks, as tritonclient's request_compression_algorithm and
// response_compression_algorithm expect. deflate is the zlib format
// (RFC 1950), which is what clients send; a raw deflate stream is accepted too.
//
// Stateless functions; safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd::http {

enum class ContentCoding { kIdentity, kGzip, kDeflate };

// The coding a Content-Encoding value names; Unsupported for any other
// (several codings stacked included).
StatusOr<ContentCoding> ParseContentEncoding(std::string_view value);

// Decodes `body`. InvalidArgument for a corrupt or truncated stream;
// ResourceExhausted once the decoded size would pass `max_decoded_bytes`.
StatusOr<std::string> Decode(ContentCoding coding, std::string_view body, size_t max_decoded_bytes);

// The coding to answer with for an Accept-Encoding value: gzip before
// deflate, honouring q-values (q=0 refuses); kIdentity when neither is
// acceptable or the header is empty.
ContentCoding ChooseResponseCoding(std::string_view accept_encoding);

std::string Encode(ContentCoding coding, std::string_view body);

// "gzip" / "deflate" (for the Content-Encoding header); "" for identity.
std::string_view ContentCodingName(ContentCoding coding);

}  // namespace inferd::http
