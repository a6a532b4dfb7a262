#include "pipeline/auth/jwks_url_source.h"

#include "observability/log.h"

namespace inferd::auth {

StatusOr<std::unique_ptr<JwksUrlSource>> JwksUrlSource::Start(
    Options options, std::shared_ptr<JwtVerifier> verifier) {
  auto url = ParseFetchUrl(options.url);
  if (!url.ok()) return url.status();
  std::unique_ptr<JwksUrlSource> source(
      new JwksUrlSource(std::move(options), std::move(url).value(), std::move(verifier)));
  {
    std::lock_guard lock(source->fetch_mu_);
    source->FetchLocked("start");
  }
  // Ticks at the refetch bound: a set not fetched yet is retried that often,
  // a fetched one once `refresh` has passed.
  JwksUrlSource* self = source.get();
  source->refresher_ = std::make_unique<PeriodicTask>(
      std::chrono::duration_cast<std::chrono::milliseconds>(source->options_.min_refetch), [self] {
        std::lock_guard lock(self->fetch_mu_);
        const auto now = std::chrono::steady_clock::now();
        if (self->have_keys_ && now - self->last_success_ < self->options_.refresh) return;
        if (now - self->last_attempt_ < self->options_.min_refetch) return;
        self->FetchLocked(self->have_keys_ ? "refresh" : "retry");
      });
  return source;
}

JwksUrlSource::JwksUrlSource(Options options, FetchUrl url, std::shared_ptr<JwtVerifier> verifier)
    : options_(std::move(options)), url_(std::move(url)), verifier_(verifier) {}

JwksUrlSource::~JwksUrlSource() {
  if (refresher_) refresher_->Stop();
}

bool JwksUrlSource::RefetchForUnknownKid() {
  auto verifier = verifier_.lock();
  if (!verifier) return false;
  const uint64_t before = verifier->jwks_generation();
  std::lock_guard lock(fetch_mu_);
  if (verifier->jwks_generation() != before) return true;  // a fetch finished meanwhile
  if (std::chrono::steady_clock::now() - last_attempt_ < options_.min_refetch) return false;
  return FetchLocked("unknown kid") && verifier->jwks_generation() != before;
}

bool JwksUrlSource::FetchLocked(const char* why) {
  last_attempt_ = std::chrono::steady_clock::now();
  auto verifier = verifier_.lock();
  if (!verifier) return false;
  auto document = FetchDocument(url_, options_.fetch);
  StatusOr<JwkSet> keys =
      document.ok() ? JwkSet::Parse(*document) : StatusOr<JwkSet>(document.status());
  if (!keys.ok()) {
    LogWarn(have_keys_ ? "keeping the JWT keys in use" : "no JWT keys yet",
            {{"url", url_.Display()}, {"why", why}, {"reason", keys.status().message()}});
    return false;
  }
  const size_t count = keys->keys.size();
  verifier->SetJwks(std::make_shared<const JwkSet>(std::move(keys).value()));
  have_keys_ = true;
  last_success_ = std::chrono::steady_clock::now();
  LogInfo("JWT keys fetched", {{"url", url_.Display()}, {"why", why}, {"keys", count}});
  return true;
}

}  // namespace inferd::auth
