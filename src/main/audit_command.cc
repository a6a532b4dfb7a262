#include "main/audit_command.h"

#include <iostream>

#include "observability/audit_verify.h"

namespace inferd {

CLI::App* AddAuditCommand(CLI::App& app, AuditOptions& o) {
  CLI::App* audit = app.add_subcommand("audit", "Check the audit log");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand(
      "verify", "Check the hash chain; names the first edited or missing line");
  verify->add_option("file", o.file, "The audit log")->required();
  verify->add_option("--expect-last-seq", o.expect_last_seq,
                     "The log must reach this seq (an anchor noted elsewhere: catches a cut tail)");
  verify->add_option("--expect-hash", o.expect_hash,
                     "With --expect-last-seq: that line's hash (catches a recomputed chain)");
  return audit;
}

int RunAudit(const CLI::App&, const AuditOptions& o) {
  AuditVerifyOptions options;
  options.expect_last_seq = o.expect_last_seq;
  options.expect_hash = o.expect_hash;
  const AuditVerifyResult result = VerifyAuditFile(o.file, options);
  if (result.ok) {
    std::cout << "audit verify: " << result.lines << " lines, chain intact, last seq "
              << result.last_seq << " hash " << result.last_hash << "\n";
    return 0;
  }
  std::cerr << "audit verify: " << result.first_error << "\n";
  if (result.lines > 0) {
    std::cerr << "(" << result.lines << " lines intact before it, last good seq " << result.last_seq
              << " hash " << result.last_hash << ")\n";
  }
  return 1;
}

}  // namespace inferd
