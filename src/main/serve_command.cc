#include "main/serve_command.h"

#include <sched.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "backends/onnxruntime/ort_backend.h"
#include "core/routing/rollout_controller.h"
#include "core/routing/route_control.h"
#include "core/routing/route_stats.h"
#include "core/routing/route_table.h"
#include "core/routing/route_traffic.h"
#include "core/routing/shadow_mirror.h"
#include "core/server_core.h"
#include "frontends/all_frontends.h"
#include "frontends/grpc/grpc_server.h"
#include "frontends/http/http_server.h"
#include "frontends/jobs/jobs_http.h"
#include "frontends/metrics/metrics_http.h"
#include "frontends/openapi/openapi_http.h"
#include "frontends/registry/registry_http.h"
#include "frontends/tls/tls_reloader.h"
#include "jobs/job_manager.h"
#include "main/jobs_setup.h"
#include "main/memory_allocator.h"
#include "main/open_files_limit.h"
#include "main/request_pipeline.h"
#include "main/route_setup.h"
#include "observability/log.h"
#include "storage/sqlite_registry_store.h"
#include "storage/sqlite_route_store.h"

namespace inferd {

void AddServeFlags(CLI::App& cmd, ServeOptions& o) {
  cmd.add_option("--model-repository,--model-store", o.model_repository,
                 "Directory holding <model>/<version>/model.onnx (and optional "
                 "<model>/config.pbtxt)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd.add_option("--http-address", o.http_address, "Address the HTTP server binds")
      ->capture_default_str();
  cmd.add_option("--http-port", o.http_port, "HTTP port (0 picks a free port, -1 none)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  cmd.add_option("--grpc-port", o.grpc_port, "gRPC port (0 picks a free port, -1 none)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  cmd.add_option("--https-port", o.https_port,
                 "HTTPS port, beside the HTTP one (0 picks a free port, -1 none); needs "
                 "--tls-cert and --tls-key")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  cmd.add_option("--grpcs-port", o.grpcs_port,
                 "gRPC-over-TLS port, beside the gRPC one (0 picks a free port, -1 none); "
                 "needs --tls-cert and --tls-key")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  cmd.add_option("--tls-cert", o.tls_cert,
                 "PEM certificate chain of the TLS ports, the server's certificate first; "
                 "re-read when it changes and on SIGHUP")
      ->check(CLI::ExistingFile);
  cmd.add_option("--tls-key", o.tls_key,
                 "PEM private key (unencrypted) of --tls-cert; re-read with it")
      ->check(CLI::ExistingFile);
  cmd.add_option("--tls-client-ca", o.tls_client_ca,
                 "PEM CA bundle for mutual TLS: client certificates must be signed by it")
      ->check(CLI::ExistingFile);
  cmd.add_option("--tls-client-auth", o.tls_client_auth,
                 "Client certificates on the TLS ports: none (not asked for), optional "
                 "(verified when sent), required (default with --tls-client-ca)")
      ->check(CLI::IsMember({"none", "optional", "required"}));
  cmd.add_option("--log-format", o.log_format, "Log line format")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd.add_flag("--log-verbose", o.log_verbose, "Log debug messages too");
  cmd.add_option("--max-body-bytes", o.max_body_bytes,
                 "Largest request body accepted; larger ones get 413")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--http-threads", o.http_threads, "HTTP I/O threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--instances", o.instances,
                 "Instances (parallel executions) of a model whose config sets no "
                 "instance_group count (0: one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--intra-op-threads", o.intra_op_threads,
                 "ONNX Runtime threads inside one execution (0: the cores divided among "
                 "the model's instances); the config's intra_op_thread_count wins")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--allow-spinning", o.allow_spinning,
                 "Let idle ONNX Runtime threads spin (lower latency, burns CPU)")
      ->capture_default_str();
  cmd.add_option("--default-max-queue-size", o.default_max_queue_size,
                 "Queue bound of models whose config sets none; a full queue answers "
                 "503/UNAVAILABLE (0: unbounded)")
      ->capture_default_str();
  cmd.add_option("--default-warmup", o.default_warmup,
                 "Run one zero-filled sample through models whose config has no model_warmup")
      ->capture_default_str();
  cmd.add_option("--metrics-port", o.metrics_port,
                 "Also serve Prometheus /metrics on this port (0 picks a free port)")
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--default-max-batch-size", o.default_max_batch_size,
                 "max_batch_size given to batchable models whose config does not set it")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--strict-readiness", o.strict_readiness,
                 "Ready only when every model in the repository is ready")
      ->capture_default_str();
  cmd.add_option("--shutdown-timeout", o.shutdown_timeout_secs,
                 "Seconds to let requests in flight finish after SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--default-model", o.default_model,
                 "Model for routes that name none (MLflow /invocations, /predict); "
                 "default: the repository's only model");
  cmd.add_option("--allow-client-shm", o.allow_client_shm,
                 "Let clients register system shared-memory regions (Triton's "
                 "--allow-client-shm): same-host clients then pass tensors through memory. "
                 "Off by default: a registering client names memory objects on this host")
      ->capture_default_str();
  cmd.add_flag("--tfserving-tensor-content", o.tf_tensor_content,
               "TF Serving gRPC Predict answers carry numbers in tensor_content instead "
               "of the typed fields (float_val, ...) TF Serving uses by default; TF "
               "Serving's --enable_serialization_as_tensor_content");
  cmd.add_option("--model-control-mode", o.model_control_mode,
                 "Who decides what serves: none (the repository at start), poll (the "
                 "repository, rescanned), explicit (the repository API)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "poll", "explicit"}));
  cmd.add_option("--repository-poll-secs", o.repository_poll_secs,
                 "Seconds between rescans of the repository (poll mode) and looks at "
                 "the model registry for changes other processes made (every mode)")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 86400.0));
  cmd.add_option("--load-model", o.load_models,
                 "Explicit mode: a model to load at start (repeatable; '*' for all)");
  cmd.add_option("--admin-api", o.admin_api,
                 "Who may load, unload and label models: loopback (clients on this "
                 "machine), on (anyone), off (no one)")
      ->capture_default_str()
      ->check(CLI::IsMember({"loopback", "on", "off"}));
  cmd.add_option("--access-log", o.access_log,
                 "Write one JSON line per request (every protocol) to this file; '-' for "
                 "standard output");
  cmd.add_option("--audit-log", o.audit_log,
                 "Append every admin action and authentication failure to this hash-chained "
                 "JSON-lines file (check it with `inferd audit verify FILE`)");
  cmd.add_flag("--api-keys", o.api_keys,
               "Require credentials and accept API keys from the key database "
               "(create them with `inferd keys create`)");
  cmd.add_option("--keys-db", o.keys_db, "The API-key database (default: the registry's database)");
  cmd.add_option("--jwt-issuer", o.jwt_issuer,
                 "Require credentials and accept JWTs from this issuer (`iss`)");
  cmd.add_option("--jwt-audience", o.jwt_audiences,
                 "An accepted JWT audience (`aud`; repeatable; required with --jwt-issuer)");
  cmd.add_option("--jwt-hs256-secret-file", o.jwt_hs256_secret_file,
                 "The HS256 secret (at least 32 bytes; a trailing newline is dropped)");
  cmd.add_option("--jwt-jwks-file", o.jwt_jwks_file,
                 "RS256/ES256 keys as a JWKS document, re-read when it changes");
  cmd.add_option("--jwt-jwks-url", o.jwt_jwks_url,
                 "RS256/ES256 keys fetched from this URL (an issuer's jwks_uri), cached, "
                 "re-fetched periodically and when a token names an unknown kid");
  cmd.add_option("--jwt-jwks-ca", o.jwt_jwks_ca,
                 "PEM CA certificates for an https --jwt-jwks-url (default: the system's)");
  cmd.add_option("--jwt-jwks-refresh-secs", o.jwt_jwks_refresh_secs,
                 "How often the keys at --jwt-jwks-url are fetched again")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400));
  cmd.add_option("--jwt-roles-claim", o.jwt_roles_claim,
                 "The claim holding the token's roles (array or space-separated)")
      ->capture_default_str();
  cmd.add_option("--jwt-models-claim", o.jwt_models_claim,
                 "The claim holding the models the token may use (absent: all)")
      ->capture_default_str();
  cmd.add_option("--jwt-leeway-secs", o.jwt_leeway_secs, "Clock skew allowed for exp and nbf")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cmd.add_option("--tls-client-roles", o.tls_client_roles,
                 "Roles of a client that presents a verified TLS certificate and no other "
                 "credentials (e.g. read,infer)");
  cmd.add_flag("--protect-metrics", o.protect_metrics,
               "/metrics needs credentials with the read role");
  cmd.add_option("--auth-failure-limit", o.auth_failure_limit,
                 "Failed authentications per second per client address (ten seconds' worth at "
                 "once); past it they are answered 429 and not audited; 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  cmd.add_option("--rate-limit", o.rate_limit,
                 "Requests per second per identity (anonymous: per client address); 0: none")
      ->check(CLI::Range(0.0, 1e9));
  cmd.add_option("--rate-burst", o.rate_burst,
                 "Requests a bucket holds (default: one second's worth, at least 1)")
      ->check(CLI::Range(0.0, 1e9));
  cmd.add_flag("--rate-limit-per-model", o.rate_limit_per_model,
               "Also one bucket of --rate-limit per identity and model");
  cmd.add_option("--concurrency-limit", o.concurrency_limit,
                 "Requests in flight per identity; 0: none")
      ->check(CLI::Range(0, 1000000));
  cmd.add_option("--registry-db", o.registry_db,
                 "The model registry's SQLite database (default: "
                 "<model-repository>/.inferd-registry.db, created on the first change)");
  cmd.add_option("--routes-db", o.routes_db,
                 "The routes' and rollouts' SQLite database (default: "
                 "<model-repository>/.inferd-routes.db, created on the first change)");
  cmd.add_option("--routes-file", o.routes_file,
                 "A JSON file of routes and rollouts to start with: {\"routes\": {name: route}, "
                 "\"rollouts\": {name: rollout}}; routes the database already has are kept")
      ->check(CLI::ExistingFile);
  cmd.add_option("--shadow-queue", o.shadow_queue,
                 "Mirrored (shadow) requests waiting at once (as many, up to 64, run at a time); "
                 "past it they "
                 "are dropped and counted")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--jobs-db", o.jobs_db,
                 "The batch jobs' SQLite database (default: <model-repository>/.inferd-jobs.db)");
  cmd.add_option("--jobs-dir", o.jobs_dir,
                 "Where batch jobs keep their inputs and results (default: "
                 "<model-repository>/.inferd-jobs)");
  cmd.add_option("--jobs-input-dir", o.jobs_input_dir,
                 "A folder whose files jobs may name as their input (input_path); "
                 "default: none may");
  cmd.add_option("--jobs-concurrency", o.jobs_concurrency,
                 "Threads batch jobs keep busy at once, server-wide, at idle priority (0: half "
                 "the cores, at least 1); twice as many chunks are in flight")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd.add_option("--jobs-online-share", o.jobs_online_share,
                 "While online requests arrive, the share of the time batch jobs may keep "
                 "their threads busy, all together (1: no pacing); jobs run at full speed "
                 "again 100 ms after the last online request")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1.0));
  cmd.add_option("--jobs-per-job", o.jobs_per_job,
                 "Chunks of one job in flight at once (0: twice --jobs-concurrency)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd.add_option("--jobs-retention-hours", o.jobs_retention_hours,
                 "How long a finished job and its files are kept")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--jobs-redis", o.jobs_redis,
                 "Keep batch jobs in Redis (redis://[[user]:password@]host[:port][/db] or "
                 "unix:///path.sock[?db=N]), shared by every replica given the same address, "
                 "instead of SQLite; Redis 6.2 or later");
  cmd.add_option("--jobs-redis-prefix", o.jobs_redis_prefix,
                 "Prefix of the batch jobs' Redis keys (replicas that share jobs use one)")
      ->capture_default_str();
  cmd.add_option("--jobs-lease-seconds", o.jobs_lease_seconds,
                 "With --jobs-redis: how long a replica that stopped answering keeps its job "
                 "chunks before other replicas take them over, and the jobs whose input it was "
                 "reading before they fail")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  cmd.add_option("--max-upload-bytes", o.max_upload_bytes,
                 "Largest model file a registry upload or copied source may have")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-concurrent-uploads", o.max_concurrent_uploads,
                 "Job inputs streamed to disk at once; more are refused with 503")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd.add_option("--upload-min-free-bytes", o.upload_min_free_bytes,
                 "Disk space an uploaded job input must leave free (507 otherwise)")
      ->capture_default_str();
}

namespace {

// The cores this process may run on (taskset and cpusets included).
int CoreCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

bool IsLoopbackAddress(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || address == "localhost" ||
         address.starts_with("127.");
}

// The signals the main thread waits for; blocked in every thread.
sigset_t ServeSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Blocks until SIGTERM or SIGINT arrives; SIGHUP re-reads the TLS material
// (it would otherwise end the process).
int WaitForStopSignal(tls::TlsReloader* tls) {
  const sigset_t set = ServeSignals();
  while (true) {
    int signal = 0;
    sigwait(&set, &signal);
    if (signal != SIGHUP) return signal;
    if (tls != nullptr) {
      tls->Reload("SIGHUP");
    } else {
      LogInfo("SIGHUP: nothing to reload (no TLS)");
    }
  }
}

// The TLS settings from the flags; null when no TLS port is asked for.
StatusOr<std::unique_ptr<tls::TlsReloader>> MakeTls(const ServeOptions& o) {
  const bool wanted = o.https_port >= 0 || o.grpcs_port >= 0;
  if (!wanted) {
    if (!o.tls_cert.empty() || !o.tls_key.empty() || !o.tls_client_ca.empty()) {
      return InvalidArgument(
          "--tls-cert, --tls-key and --tls-client-ca need --https-port or "
          "--grpcs-port");
    }
    return std::unique_ptr<tls::TlsReloader>();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) {
    return InvalidArgument("--https-port and --grpcs-port need --tls-cert and --tls-key");
  }
  tls::TlsFiles files;
  files.cert_file = o.tls_cert;
  files.key_file = o.tls_key;
  files.client_ca_file = o.tls_client_ca;
  const std::string auth = !o.tls_client_auth.empty() ? o.tls_client_auth
                           : o.tls_client_ca.empty()  ? "none"
                                                      : "required";
  files.client_auth = auth == "required"   ? tls::ClientAuth::kRequired
                      : auth == "optional" ? tls::ClientAuth::kOptional
                                           : tls::ClientAuth::kNone;
  if (files.client_auth != tls::ClientAuth::kNone && o.tls_client_ca.empty()) {
    return InvalidArgument("--tls-client-auth " + auth + " needs --tls-client-ca");
  }
  if (files.client_auth == tls::ClientAuth::kNone && !o.tls_client_ca.empty()) {
    LogWarn("--tls-client-ca is not used: --tls-client-auth is none");
  }
  return tls::TlsReloader::Create(std::move(files));
}

}  // namespace

int RunServe(const ServeOptions& o) {
  // Block the stop and reload signals in every thread; the main thread waits
  // for them.
  const sigset_t set = ServeSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  InitLogging(o.log_format == "json" ? LogFormat::kJson : LogFormat::kText, o.log_verbose);
  const auto start = std::chrono::steady_clock::now();
  const OpenFilesLimit files = RaiseOpenFilesLimit();
  LogInfo("starting", {{"version", ServerCore::Version()},
                       {"model_repository", o.model_repository},
                       {"http_port", o.http_port},
                       {"open_files_limit", files.now},
                       {"memory_allocator", MemoryAllocatorName()}});
  if (files.now != 0 && files.now < 4096) {
    LogWarn("the open files limit is low: connections past it wait to be accepted",
            {{"limit", files.now}, {"fix", "raise the hard limit (ulimit -Hn, LimitNOFILE=)"}});
  }

  if (!o.load_models.empty() && o.model_control_mode != "explicit") {
    LogError("cannot start", {{"reason", "--load-model needs --model-control-mode=explicit"}});
    return 2;
  }
  // Routes (A/B tests, shadows, canaries) are resolved by the core, told of
  // each request they serve, kept in their database and managed by their
  // admin API; they live as long as the server.
  RouteTable routes;
  RouteTraffic route_traffic(&routes);
  ServerCoreOptions core_options;
  core_options.routes = &routes;
  core_options.route_observer = &route_traffic;
  core_options.model_repository = o.model_repository;
  core_options.load_threads = CoreCount();
  core_options.loader.autocomplete.default_max_batch_size = o.default_max_batch_size;
  core_options.loader.autocomplete.default_instance_count =
      o.instances > 0 ? o.instances : CoreCount();
  core_options.loader.runtime.cores = CoreCount();
  core_options.loader.runtime.intra_op_threads = o.intra_op_threads;
  core_options.loader.runtime.allow_spinning = o.allow_spinning;
  core_options.loader.runtime.max_queue_size = o.default_max_queue_size;
  core_options.loader.default_warmup = o.default_warmup;
  core_options.strict_readiness = o.strict_readiness;
  core_options.control_mode = o.model_control_mode == "poll"       ? ModelControlMode::kPoll
                              : o.model_control_mode == "explicit" ? ModelControlMode::kExplicit
                                                                   : ModelControlMode::kNone;
  core_options.poll_interval =
      std::chrono::milliseconds(static_cast<int64_t>(o.repository_poll_secs * 1000));
  core_options.startup_models = o.load_models;
  core_options.registry_db = o.registry_db;
  core_options.registry_store = [](const std::filesystem::path& path,
                                   bool create) -> StatusOr<std::unique_ptr<RegistryStore>> {
    auto opened = SqliteRegistryStore::Open(path, create);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<RegistryStore>(std::move(opened).value());
  };
  core_options.max_upload_bytes = o.max_upload_bytes;
  auto built = BuildRequestPipeline(o);
  if (!built.ok()) {
    LogError("cannot start", {{"reason", built.status().message()}});
    return 1;
  }
  const RequestPipeline& request_pipeline = *built;
  // Before the servers, which read its files until they stop.
  auto made_tls = MakeTls(o);
  if (!made_tls.ok()) {
    LogError("cannot start", {{"reason", made_tls.status().message()}});
    return 2;
  }
  const std::unique_ptr<tls::TlsReloader> tls = std::move(made_tls).value();
  grpcfe::PipelineGate grpc_gate(request_pipeline.pipeline.get(), AllGrpcRpcs());

  // Online requests noted by every model's scheduler, read by the jobs' pacing;
  // only when it is on, so that unpaced no request pays for the note.
  OnlineActivity online_activity;
  OnlineActivity* const paced_by = o.jobs_online_share < 1.0 ? &online_activity : nullptr;
  core_options.loader.online_activity = paced_by;
  ServerCore core(core_options, MakeOrtBackendFactory());
  RouteStats route_stats(&core.metrics());
  // No more in the core at once than may wait: a small queue keeps a slow
  // shadow's model queue small too.
  ShadowMirror shadows(&core.metrics(), o.shadow_queue, std::min(64, o.shadow_queue));
  shadows.SetRunner([&core](InferRequest request, InferCallback done) {
    core.Infer(std::move(request), std::move(done));
  });
  route_traffic.Attach(&route_stats, &shadows);
  const std::filesystem::path routes_db =
      !o.routes_db.empty() ? std::filesystem::path(o.routes_db)
                           : std::filesystem::path(o.model_repository) / ".inferd-routes.db";
  RouteControl route_control(&routes,
                             [routes_db](bool create) -> StatusOr<std::unique_ptr<RouteStore>> {
                               auto opened = SqliteRouteStore::Open(routes_db, create);
                               if (!opened.ok()) return opened.status();
                               return std::unique_ptr<RouteStore>(std::move(opened).value());
                             });
  RolloutController rollouts(&route_control, &route_stats, &shadows,
                             RolloutHooks(core, request_pipeline.audit));
  core.metrics().AddCollector(
      [&rollouts](MetricsRegistry& registry) { rollouts.CollectMetrics(registry); });
  const routes::RouteServices route_services{&route_control, &route_stats, &shadows, &rollouts};
  auto jobs_setup = MakeJobsSetup(o, CoreCount());
  if (!jobs_setup.ok()) {
    LogError("cannot start", {{"reason", jobs_setup.status().message()}});
    return 2;
  }
  jobs_setup->options.online_activity = paced_by;
  jobs::JobManager job_manager(&core, jobs_setup->opener, jobs_setup->options, &core.metrics());

  http::Router router;
  router.SetPipeline(request_pipeline.pipeline);
  const FrontendOptions frontend_options{
      o.default_model,     openapi::DefaultAssetsDir(),
      o.tf_tensor_content, std::make_shared<SharedMemoryRegions>(o.allow_client_shm),
      &grpc_gate,          request_pipeline.keys.get(),
      &route_services,     &job_manager};
  AddAllHttpRoutes(&core, frontend_options, router);
  http::HttpServerOptions http_options;
  http_options.address = o.http_address;
  http_options.port = o.http_port;
  http_options.io_threads = o.http_threads > 0 ? o.http_threads : CoreCount();
  http_options.max_body_bytes = o.max_body_bytes;
  http_options.is_upload = &registry::IsUploadTarget;
  http_options.may_upload = [&request_pipeline](bool loopback) {
    return request_pipeline.admin_access->Allows(loopback);
  };
  http_options.max_upload_bytes = o.max_upload_bytes;
  // A job's uploaded input goes to disk as it arrives, never whole in memory.
  http_options.spool = &jobsfe::IsSpooledUpload;
  http_options.spool_dir = jobs_setup->options.dir / jobs::JobManager::kUploadsFolder;
  http_options.max_spooling = o.max_concurrent_uploads;
  http_options.spool_reserve_bytes = o.upload_min_free_bytes;
  if (tls) {
    http_options.tls_port = o.https_port;
    http_options.tls_context = [reloader = tls.get()] { return reloader->HttpContext(); };
  }
  http::HttpServer http_server(http_options, &router);

  // An optional second port for scrapers, serving /metrics only.
  http::Router metrics_router;
  metrics_router.SetPipeline(request_pipeline.pipeline);
  metrics::AddMetricsRoutes(&core, metrics_router);
  std::unique_ptr<http::HttpServer> metrics_server;
  if (o.metrics_port >= 0) {
    http::HttpServerOptions metrics_options = http_options;
    metrics_options.port = o.metrics_port;
    metrics_options.tls_port = -1;  // plain only, for scrapers
    metrics_options.tls_context = nullptr;
    metrics_options.io_threads = 1;
    metrics_server = std::make_unique<http::HttpServer>(metrics_options, &metrics_router);
  }

  grpcfe::GrpcServerOptions grpc_options;
  grpc_options.address = o.http_address;
  grpc_options.port = o.grpc_port;
  grpc_options.gate = &grpc_gate;
  if (tls) {
    grpc_options.tls_port = o.grpcs_port;
    grpc_options.tls_identity_file = tls->grpc_identity_file();
    grpc_options.tls_client_ca_file = tls->grpc_client_ca_file();
    grpc_options.tls_client_auth = tls->files().client_auth;
  }
  grpcfe::GrpcServer grpc_server(grpc_options);
  const auto grpc_services = MakeAllGrpcServices(&core, frontend_options);
  for (const auto& service : grpc_services) grpc_server.AddService(service.get());

  if (Status s = core.Start(); !s.ok()) {
    LogError("cannot start", {{"reason", s.message()}});
    return 1;
  }
  // Routes after the models they name; before the ports open.
  if (Status s = LoadRoutes(o, core, route_control, rollouts); !s.ok()) {
    LogError("cannot start", {{"reason", s.message()}});
    return 1;
  }
  rollouts.Start();
  if (Status s = job_manager.Start(); !s.ok()) {
    LogError("cannot start", {{"reason", s.message()}});
    return 1;
  }
  for (Status s : {http_server.Start(), grpc_server.Start(),
                   metrics_server ? metrics_server->Start() : Status::Ok()}) {
    if (!s.ok()) {
      LogError("cannot start", {{"reason", s.message()}});
      return 1;
    }
  }
  const double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!request_pipeline.authenticates && !IsLoopbackAddress(o.http_address)) {
    // Today's behaviour stays the default, but not silently.
    LogWarn(
        "serving beyond this machine without authentication: anyone who reaches the ports "
        "can infer and read every model; see --api-keys and --jwt-issuer",
        {{"address", o.http_address}});
  }
  if (request_pipeline.authenticates && (o.https_port >= 0 || o.grpcs_port >= 0) &&
      (o.http_port >= 0 || o.grpc_port >= 0)) {
    // Credentials sent to a plain port cross the network in the clear.
    LogWarn(
        "authentication is on and the plain ports are open beside the TLS ones; "
        "--http-port -1 --grpc-port -1 serve TLS only",
        {{"http_port", o.http_port}, {"grpc_port", o.grpc_port}});
  }
  if (tls) tls->StartWatching(std::chrono::seconds(2));
  LogInfo("serving", {{"http_port", http_server.port()},
                      {"grpc_port", grpc_server.port()},
                      {"https_port", http_server.tls_port()},
                      {"grpcs_port", grpc_server.tls_port()},
                      {"metrics_port", metrics_server ? int(metrics_server->port()) : -1},
                      {"ready", core.IsReady() ? "true" : "false"},
                      {"startup_ms", ready_ms}});

  const int signal = WaitForStopSignal(tls.get());
  LogInfo("stopping", {{"signal", signal}, {"in_flight", http_server.in_flight()}});
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(o.shutdown_timeout_secs);
  http_server.BeginShutdown();
  // Job calls still waiting are answered 503 now, so the drain below sends
  // those answers (and waits for the calls already running).
  job_manager.StopCalls();
  // gRPC's shutdown stops new calls and waits (bounded) for those in flight.
  grpc_server.Shutdown(std::chrono::seconds(o.shutdown_timeout_secs));
  const bool drained =
      http_server.WaitIdle(std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
          deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration{})));
  if (!drained) {
    LogWarn("shutdown timeout passed with requests in flight",
            {{"in_flight", http_server.in_flight()}});
  }
  http_server.Stop();
  if (metrics_server) metrics_server->Stop();
  rollouts.Stop();
  job_manager.Stop();
  shadows.Stop();
  core.Shutdown();
  LogInfo("stopped", {{"drained", drained ? "true" : "false"}});
  return 0;
}

}  // namespace inferd
