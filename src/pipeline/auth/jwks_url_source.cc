#include "pipeline/auth/jwks_url_source.h"

#include <boost/asio/ip/address.hpp>

#include "observability/log.h"

namespace inferd::auth {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

StatusOr<std::unique_ptr<JwksUrlSource>> JwksUrlSource::Start(
    Options options, std::shared_ptr<JwtVerifier> verifier) {
  auto url = ParseFetchUrl(options.url);
  if (!url.ok()) return url.status();
  if (!url->tls && !IsLoopbackHost(url->host)) {
    LogWarn(
        "the JWT keys come over plain http: anyone on the way can serve keys of their own "
        "and mint tokens; use https",
        {{"url", url->Display()}});
  }
  std::unique_ptr<JwksUrlSource> source(
      new JwksUrlSource(std::move(options), std::move(url).value(), std::move(verifier)));
  source->last_attempt_ = SteadyClock::now();
  if (source->Fetch("start", false)) {
    source->have_keys_ = true;
    source->last_success_ = SteadyClock::now();
  }
  source->thread_ = std::thread([self = source.get()] { self->Run(); });
  return source;
}

JwksUrlSource::JwksUrlSource(Options options, FetchUrl url, std::shared_ptr<JwtVerifier> verifier)
    : options_(std::move(options)), url_(std::move(url)), verifier_(verifier) {}

JwksUrlSource::~JwksUrlSource() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JwksUrlSource::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto now = SteadyClock::now();
    const auto next =
        have_keys_ ? last_success_ + options_.refresh : last_attempt_ + options_.min_refetch;
    if (!requested_ && now < next) {
      wake_.wait_until(lock, next, [&] { return stopping_ || requested_; });
      continue;
    }
    const char* why = requested_ ? "unknown kid" : have_keys_ ? "refresh" : "retry";
    requested_ = false;
    fetching_ = true;
    last_attempt_ = now;
    const bool had_keys = have_keys_;
    lock.unlock();
    const bool fetched = Fetch(why, had_keys);
    lock.lock();
    fetching_ = false;
    if (fetched) {
      have_keys_ = true;
      last_success_ = SteadyClock::now();
    }
    fetched_.notify_all();
  }
}

bool JwksUrlSource::RefetchForUnknownKid(uint64_t seen_generation) {
  auto verifier = verifier_.lock();
  if (!verifier) return false;
  if (verifier->jwks_generation() != seen_generation) return true;
  std::unique_lock lock(mu_);
  // Someone's fetch is under way, or one ran lately: no waiting here.
  if (stopping_ || requested_ || fetching_) return false;
  if (SteadyClock::now() - last_attempt_ < options_.min_refetch) return false;
  requested_ = true;
  wake_.notify_all();
  fetched_.wait_for(lock, options_.unknown_kid_wait, [&] { return !requested_ && !fetching_; });
  return verifier->jwks_generation() != seen_generation;
}

bool JwksUrlSource::Fetch(const char* why, bool have_keys) {
  auto verifier = verifier_.lock();
  if (!verifier) return false;
  auto document = FetchDocument(url_, options_.fetch);
  StatusOr<JwkSet> keys =
      document.ok() ? JwkSet::Parse(*document) : StatusOr<JwkSet>(document.status());
  if (!keys.ok()) {
    LogWarn(have_keys ? "keeping the JWT keys in use" : "no JWT keys yet",
            {{"url", url_.Display()}, {"why", why}, {"reason", keys.status().message()}});
    return false;
  }
  const size_t count = keys->keys.size();
  verifier->SetJwks(std::make_shared<const JwkSet>(std::move(keys).value()));
  LogInfo("JWT keys fetched", {{"url", url_.Display()}, {"why", why}, {"keys", count}});
  return true;
}

}  // namespace inferd::auth
