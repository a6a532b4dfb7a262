#include "observability/audit_line.h"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

#include "observability/log.h"

namespace inferd {
namespace {

// Cuts `s` to at most kMaxAuditFieldBytes without splitting a UTF-8 sequence
// (a split one would only turn into U+FFFD noise).
std::string_view CapField(std::string_view s) {
  if (s.size() <= kMaxAuditFieldBytes) return s;
  size_t end = kMaxAuditFieldBytes;
  for (int back = 0; back < 3 && end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80;
       ++back) {
    --end;
  }
  return s.substr(0, end);
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":\"";
  // JsonEscape leaves only valid UTF-8 and no raw control characters, so the
  // line stays one valid JSON line whatever the client sent.
  out += JsonEscape(CapField(value));
  out += '"';
}

bool IsDigits(std::string_view s, size_t pos, size_t n) {
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool IsAuditTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS.mmmZ
  return t.size() == 24 && IsDigits(t, 0, 4) && t[4] == '-' && IsDigits(t, 5, 2) && t[7] == '-' &&
         IsDigits(t, 8, 2) && t[10] == 'T' && IsDigits(t, 11, 2) && t[13] == ':' &&
         IsDigits(t, 14, 2) && t[16] == ':' && IsDigits(t, 17, 2) && t[19] == '.' &&
         IsDigits(t, 20, 3) && t[23] == 'Z';
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Where each string field of a line lands in ParsedAuditLine.
std::string* StringSlot(ParsedAuditLine& p, std::string_view key) {
  if (key == "time") return &p.time;
  if (key == "identity") return &p.event.identity;
  if (key == "client") return &p.event.client;
  if (key == "action") return &p.event.action;
  if (key == "target") return &p.event.target;
  if (key == "outcome") return &p.event.outcome;
  if (key == "request_id") return &p.event.request_id;
  if (key == "detail") return &p.event.detail;
  if (key == "prev") return &p.prev;
  return nullptr;
}

// Bit per field, to catch missing and duplicate keys (RapidJSON keeps both
// copies of a duplicate, and readers would disagree on which one counts).
constexpr std::array<std::string_view, 10> kFields = {"time",   "seq",    "identity", "client",
                                                      "action", "target", "outcome",  "request_id",
                                                      "detail", "prev"};
constexpr unsigned kOptionalMask = 1u << 8;  // "detail"

std::optional<unsigned> FieldBit(std::string_view key) {
  for (size_t i = 0; i < kFields.size(); ++i) {
    if (kFields[i] == key) return 1u << i;
  }
  return std::nullopt;
}

}  // namespace

std::string AuditLineHash(std::string_view line) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  // Failures here mean OpenSSL itself is broken (allocation); an empty hash
  // then matches nothing, so the chain reports it rather than passing.
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), line.data(), line.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md.data(), &size) != 1) {
    return "";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string FormatAuditTime(std::chrono::system_clock::time_point time) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  // Floor division so times before 1970 still print a valid 000-999.
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long millis = static_cast<long>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string FormatAuditLine(const AuditEvent& event, uint64_t seq, std::string_view prev,
                            std::chrono::system_clock::time_point time) {
  std::string out = "{\"time\":\"" + FormatAuditTime(time) + "\",\"seq\":" + std::to_string(seq);
  out += ',';
  AppendField(out, "identity", event.identity);
  out += ',';
  AppendField(out, "client", event.client);
  out += ',';
  AppendField(out, "action", event.action);
  out += ',';
  AppendField(out, "target", event.target);
  out += ',';
  AppendField(out, "outcome", event.outcome);
  out += ',';
  AppendField(out, "request_id", event.request_id);
  if (!event.detail.empty()) {
    out += ',';
    AppendField(out, "detail", event.detail);
  }
  out += ",\"prev\":\"";
  out += prev;
  out += "\"}";
  return out;
}

StatusOr<ParsedAuditLine> ParseAuditLine(std::string_view line) {
  if (line.size() > kMaxAuditLineBytes) return InvalidArgument("line longer than 1 MiB");
  rapidjson::Document doc;
  // Iterative: a hostile file of nested brackets must not exhaust the stack.
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(line.data(),
                                                                                    line.size());
  if (doc.HasParseError()) {
    return InvalidArgument(std::string("not valid JSON (") +
                           rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                           std::to_string(doc.GetErrorOffset()) + ")");
  }
  if (!doc.IsObject()) return InvalidArgument("not a JSON object");
  ParsedAuditLine parsed;
  unsigned seen = 0;
  for (const auto& member : doc.GetObject()) {
    const std::string_view key(member.name.GetString(), member.name.GetStringLength());
    const std::optional<unsigned> bit = FieldBit(key);
    if (!bit) return InvalidArgument("unknown field \"" + JsonEscape(key) + "\"");
    if (seen & *bit) return InvalidArgument("duplicate field \"" + std::string(key) + "\"");
    seen |= *bit;
    if (key == "seq") {
      if (!member.value.IsUint64() || member.value.GetUint64() == 0) {
        return InvalidArgument("\"seq\" is not a positive integer");
      }
      parsed.seq = member.value.GetUint64();
      continue;
    }
    if (!member.value.IsString()) {
      return InvalidArgument("\"" + std::string(key) + "\" is not a string");
    }
    StringSlot(parsed, key)->assign(member.value.GetString(), member.value.GetStringLength());
  }
  const unsigned required = ((1u << kFields.size()) - 1) & ~kOptionalMask;
  if ((seen & required) != required) {
    for (size_t i = 0; i < kFields.size(); ++i) {
      if ((required & (1u << i)) && !(seen & (1u << i))) {
        return InvalidArgument("missing field \"" + std::string(kFields[i]) + "\"");
      }
    }
  }
  if (!IsAuditTime(parsed.time)) {
    return InvalidArgument("\"time\" is not YYYY-MM-DDTHH:MM:SS.mmmZ");
  }
  if (!IsLowerHex64(parsed.prev)) {
    return InvalidArgument("\"prev\" is not 64 lowercase hex digits");
  }
  return parsed;
}

}  // namespace inferd
