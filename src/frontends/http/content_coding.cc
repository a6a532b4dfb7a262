#include "frontends/http/content_coding.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdint>

namespace inferd::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// windowBits for inflateInit2: 16+ reads a gzip wrapper, plain reads zlib,
// negative reads raw deflate.
constexpr int kGzipBits = 16 + MAX_WBITS;
constexpr int kZlibBits = MAX_WBITS;
constexpr int kRawBits = -MAX_WBITS;

StatusOr<std::string> Inflate(std::string_view body, int window_bits, size_t max_decoded_bytes,
                              std::string_view name) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) return Internal("cannot start zlib");
  max_decoded_bytes = std::min(max_decoded_bytes, SIZE_MAX - 1);
  std::string out;
  constexpr size_t kFirstGuess = 64 << 20;  // grown by doubling past this
  out.resize(
      std::min({std::max<size_t>(body.size() * 4, 4096), kFirstGuess, max_decoded_bytes + 1}));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  size_t in_left = body.size();
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    const auto in_chunk = static_cast<uInt>(std::min<size_t>(in_left, UINT_MAX));
    z.avail_in = in_chunk;
    if (produced == out.size()) {
      if (out.size() > max_decoded_bytes) break;
      out.resize(std::min(out.size() * 2, max_decoded_bytes + 1));
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT_MAX));
    const uInt out_before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    produced += out_before - z.avail_out;
    in_left -= in_chunk - z.avail_in;
    // gzip allows several members one after another (pigz, cat a.gz b.gz).
    if (rc == Z_STREAM_END && window_bits == kGzipBits && in_left > 0) {
      if (inflateReset(&z) != Z_OK) break;
      continue;
    }
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    // No progress and nothing left to read: the stream ends early.
    if (rc == Z_BUF_ERROR && z.avail_out != 0) break;
  }
  const std::string reason = z.msg != nullptr ? z.msg : "";
  inflateEnd(&z);
  if (produced > max_decoded_bytes) {
    return Status(StatusCode::kResourceExhausted,
                  "the " + std::string(name) +
                      " request body decompresses to more than the limit of " +
                      std::to_string(max_decoded_bytes) + " bytes");
  }
  if (rc != Z_STREAM_END) {
    return InvalidArgument("cannot decompress the " + std::string(name) + " request body: " +
                           (reason.empty() ? "the stream is truncated" : reason));
  }
  if (in_left != 0) {
    return InvalidArgument("cannot decompress the " + std::string(name) +
                           " request body: bytes follow the end of the stream");
  }
  out.resize(produced);
  return out;
}

}  // namespace

StatusOr<ContentCoding> ParseContentEncoding(std::string_view value) {
  value = Trim(value);
  if (value.empty() || EqualsNoCase(value, "identity")) return ContentCoding::kIdentity;
  if (EqualsNoCase(value, "gzip") || EqualsNoCase(value, "x-gzip")) return ContentCoding::kGzip;
  if (EqualsNoCase(value, "deflate")) return ContentCoding::kDeflate;
  return Unsupported("unsupported Content-Encoding '" + std::string(value) +
                     "' (inferd accepts gzip, deflate and identity)");
}

StatusOr<std::string> Decode(ContentCoding coding, std::string_view body,
                             size_t max_decoded_bytes) try {
  switch (coding) {
    case ContentCoding::kIdentity:
      return std::string(body);
    case ContentCoding::kGzip:
      return Inflate(body, kGzipBits, max_decoded_bytes, "gzip");
    case ContentCoding::kDeflate: {
      // zlib's header is two bytes whose big-endian value is a multiple of 31
      // with method 8; anything else is taken as raw deflate.
      const bool zlib_header =
          body.size() >= 2 && (static_cast<unsigned char>(body[0]) & 0x0f) == 8 &&
          ((static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1])) % 31 ==
              0;
      return Inflate(body, zlib_header ? kZlibBits : kRawBits, max_decoded_bytes, "deflate");
    }
  }
  return Internal("unknown content coding");
} catch (const std::bad_alloc&) {
  return Status(StatusCode::kResourceExhausted, "not enough memory to decompress the request body");
}

ContentCoding ChooseResponseCoding(std::string_view accept_encoding) {
  double gzip_q = -1, deflate_q = -1, any_q = -1;
  while (!accept_encoding.empty()) {
    const size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding.remove_prefix(comma == std::string_view::npos ? accept_encoding.size()
                                                                  : comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semi));
    double q = 1;
    if (semi != std::string_view::npos) {
      std::string_view param = Trim(item.substr(semi + 1));
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        param.remove_prefix(2);
        double parsed = 0;
        const auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), parsed);
        q = ec == std::errc() && end == param.data() + param.size() ? parsed : 0;
      }
    }
    if (EqualsNoCase(coding, "gzip") || EqualsNoCase(coding, "x-gzip")) gzip_q = q;
    if (EqualsNoCase(coding, "deflate")) deflate_q = q;
    if (coding == "*") any_q = q;
  }
  if (gzip_q < 0) gzip_q = any_q;
  if (deflate_q < 0) deflate_q = any_q;
  if (gzip_q <= 0 && deflate_q <= 0) return ContentCoding::kIdentity;
  return gzip_q >= deflate_q ? ContentCoding::kGzip : ContentCoding::kDeflate;
}

std::string Encode(ContentCoding coding, std::string_view body) {
  if (coding == ContentCoding::kIdentity) return std::string(body);
  z_stream z{};
  // Level 1: answers are compressed on the I/O path, where speed matters more
  // than the last few percent of size.
  deflateInit2(&z, 1, Z_DEFLATED, coding == ContentCoding::kGzip ? kGzipBits : kZlibBits, 8,
               Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&z, body.size()));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string_view ContentCodingName(ContentCoding coding) {
  switch (coding) {
    case ContentCoding::kGzip:
      return "gzip";
    case ContentCoding::kDeflate:
      return "deflate";
    case ContentCoding::kIdentity:
      break;
  }
  return "";
}

}  // namespace inferd::http
