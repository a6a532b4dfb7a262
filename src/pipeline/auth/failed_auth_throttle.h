// Failed authentications per client address, in token buckets: within the
// budget a failure is answered as it is (401, an audit line); past it, with
// 429 and Retry-After instead, before any audit line is written, so that a
// client guessing keys or replaying dead tokens can neither flood the audit
// log nor keep the key database busy unchecked. Requests that authenticate
// are never counted or slowed, whatever address they share.
//
// Ownership: borrows the bucket store, which must outlive it. Thread-safety:
// thread-safe (the store is).
#pragma once

#include <optional>

#include "pipeline/filter.h"
#include "pipeline/limits/bucket_store.h"

namespace inferd::pipeline {

class FailedAuthThrottle {
 public:
  FailedAuthThrottle(limits::BucketStore* buckets, limits::BucketSpec spec)
      : buckets_(buckets), spec_(spec) {}

  // One failure from the context's client address: nullopt while within the
  // budget, else the 429 refusal to answer instead.
  std::optional<Refusal> OnFailure(const RequestContext& context) const;

 private:
  limits::BucketStore* buckets_;
  const limits::BucketSpec spec_;
};

}  // namespace inferd::pipeline
