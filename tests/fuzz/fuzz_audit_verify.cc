// libFuzzer target: the audit log verifier over arbitrary file contents, and
// the line writer over arbitrary event strings (what it writes must read back
// as a valid line and chain).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "observability/audit_line.h"
#include "observability/audit_verify.h"

namespace {

// The input as the seven event fields, split at 0x1f bytes.
inferd::AuditEvent ToEvent(std::string_view text) {
  std::vector<std::string> parts(7);
  size_t field = 0;
  for (char c : text) {
    if (c == '\x1f' && field + 1 < parts.size()) {
      ++field;
    } else {
      parts[field] += c;
    }
  }
  return {parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]};
}

bool IsAscii(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void CheckRoundTrip(const inferd::AuditEvent& event) {
  const auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1714566896789));
  const std::string first = inferd::FormatAuditLine(event, 1, inferd::kAuditGenesisHash, time);
  const std::string second = inferd::FormatAuditLine(event, 2, inferd::AuditLineHash(first), time);
  std::istringstream in(first + "\n" + second + "\n");
  const inferd::AuditVerifyResult result = inferd::VerifyAuditFile(in);
  if (!result.ok || result.lines != 2) std::abort();

  auto parsed = inferd::ParseAuditLine(first);
  if (!parsed.ok()) std::abort();
  const std::string* in_fields[] = {&event.identity, &event.client,  &event.action,
                                    &event.target,   &event.outcome, &event.request_id,
                                    &event.detail};
  const std::string* out_fields[] = {&parsed->event.identity, &parsed->event.client,
                                     &parsed->event.action,   &parsed->event.target,
                                     &parsed->event.outcome,  &parsed->event.request_id,
                                     &parsed->event.detail};
  bool fits = true;
  for (size_t i = 0; i < 7; ++i) {
    // ASCII within the cap comes back byte for byte.
    if (IsAscii(*in_fields[i]) && in_fields[i]->size() <= inferd::kMaxAuditFieldBytes &&
        *in_fields[i] != *out_fields[i]) {
      std::abort();
    }
    fits = fits && out_fields[i]->size() <= inferd::kMaxAuditFieldBytes;
  }
  // What was read back is clean UTF-8, so writing and reading it again
  // changes nothing (the bytes may differ: "\ufffd" comes back raw).
  if (!fits) return;
  auto again =
      inferd::ParseAuditLine(inferd::FormatAuditLine(parsed->event, 1, parsed->prev, time));
  if (!again.ok()) std::abort();
  const inferd::AuditEvent& a = parsed->event;
  const inferd::AuditEvent& b = again->event;
  if (a.identity != b.identity || a.client != b.client || a.action != b.action ||
      a.target != b.target || a.outcome != b.outcome || a.request_id != b.request_id ||
      a.detail != b.detail) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  const inferd::AuditVerifyResult result = inferd::VerifyAuditFile(in);
  if (result.ok && !result.first_error.empty()) std::abort();
  if (!result.ok && result.first_error.empty()) std::abort();
  CheckRoundTrip(ToEvent(text));
  return 0;
}
