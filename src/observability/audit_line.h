// The on-disk format of one audit log line, shared by the writer (AuditLog)
// and the verifier (VerifyAuditFile) so both agree on it byte for byte.
//
// A line is one JSON object, written in this field order:
//   {"time":"2024-05-01T12:34:56.789Z","seq":7,"identity":"...","client":"...",
//    "action":"...","target":"...","outcome":"...","request_id":"...",
//    "detail":"...","prev":"<64 hex>"}
// "detail" is omitted when empty. "prev" is the lowercase hex SHA-256 of the
// previous line's exact bytes (without its newline), or 64 zeros on the first
// line, so editing, deleting, inserting or reordering a line breaks the chain
// at the next line. "seq" counts lines from 1.
//
// Free functions and plain structs: no shared state, thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd {

// One security-relevant event (an authentication, a denied call, a model
// load, ...). Plain strings: the audit log escapes them, so any bytes are
// safe here (invalid UTF-8 becomes U+FFFD).
struct AuditEvent {
  std::string identity;    // who: authenticated principal, or "" / "anonymous"
  std::string client;      // from where: peer address
  std::string action;      // what: e.g. "model.load", "auth.login"
  std::string target;      // on what: e.g. a model name
  std::string outcome;     // e.g. "allowed", "denied", "error"
  std::string request_id;  // ties the line to the request logs
  std::string detail;      // optional free text; empty = field omitted
};

// "prev" of the first line.
inline constexpr std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Each event field is cut to this many bytes before escaping, so a client
// that controls a field (a model name, a user name) cannot make lines
// unboundedly long. Escaping at most sextuples a byte, so a line stays far
// under kMaxAuditLineBytes.
inline constexpr size_t kMaxAuditFieldBytes = 4096;
// Longest line the reader side accepts (the writer cannot produce longer).
inline constexpr size_t kMaxAuditLineBytes = 1 << 20;

// A line as read back.
struct ParsedAuditLine {
  std::string time;
  uint64_t seq = 0;
  AuditEvent event;
  std::string prev;
};

// Lowercase hex SHA-256 of `line` (without its newline).
std::string AuditLineHash(std::string_view line);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" (RFC 3339, UTC, milliseconds).
std::string FormatAuditTime(std::chrono::system_clock::time_point time);

// The line for `event` (no trailing newline). `prev` is the previous line's
// AuditLineHash, or kAuditGenesisHash.
std::string FormatAuditLine(const AuditEvent& event, uint64_t seq, std::string_view prev,
                            std::chrono::system_clock::time_point time);

// Parses and checks one line (no trailing newline): a JSON object of valid
// UTF-8 with exactly the fields above (each once, "detail" optional), strings
// where strings belong, seq >= 1, prev 64 lowercase hex, time as above.
// INVALID_ARGUMENT with the reason otherwise. Does not check the chain.
StatusOr<ParsedAuditLine> ParseAuditLine(std::string_view line);

}  // namespace inferd
