// `inferd serve`: flags (Triton's names where Triton has them) and the run loop.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace inferd {

struct ServeOptions {
  std::string model_repository;
  std::string http_address = "0.0.0.0";  // also the gRPC address
  int http_port = 8000;                  // -1: no plain HTTP listener
  int grpc_port = 8001;                  // -1: no plain gRPC listener
  int https_port = -1;                   // TLS listeners; -1: none, 0: a free port
  int grpcs_port = -1;
  std::string tls_cert;         // PEM chain; with tls_key, needed by a TLS port
  std::string tls_key;          // PEM private key (unencrypted)
  std::string tls_client_ca;    // PEM bundle that signs client certificates
  std::string tls_client_auth;  // none | optional | required; "": required with a CA
  std::string log_format = "text";
  bool log_verbose = false;
  uint64_t max_body_bytes = 64ull << 20;
  int http_threads = 0;      // 0: from the core count
  int instances = 0;         // per model without an instance_group count; 0: one per core
  int intra_op_threads = 0;  // 0: the cores divided among a model's instances
  bool allow_spinning = false;
  uint64_t default_max_queue_size = 0;  // 0: unbounded
  bool default_warmup = true;
  int metrics_port = -1;  // -1: /metrics on the HTTP port only
  int default_max_batch_size = 65536;
  bool strict_readiness = true;
  int shutdown_timeout_secs = 30;
  // The model for routes that name none (MLflow /invocations, /predict).
  std::string default_model;
  bool tf_tensor_content = false;
  bool allow_client_shm = false;
  std::string model_control_mode = "none";  // none | poll | explicit
  double repository_poll_secs = 15;
  std::vector<std::string> load_models;  // explicit mode: loaded at start ("*": all)
  std::string admin_api = "loopback";    // loopback | on | off
  std::string access_log;                // a file, "-" for standard output, "" none
  std::string audit_log;                 // the hash-chained audit log, "" none
  // Authentication: any of these turns it on (then every call but health,
  // docs and, unless protected, metrics needs credentials).
  bool api_keys = false;   // API keys from the key database
  std::string keys_db;     // default: the registry's database
  std::string jwt_issuer;  // JWTs: iss, aud, and a secret file and/or a JWKS file
  std::vector<std::string> jwt_audiences;
  std::string jwt_hs256_secret_file;
  std::string jwt_jwks_file;
  std::string jwt_jwks_url;  // an issuer's jwks_uri, fetched and cached
  std::string jwt_jwks_ca;   // PEM CAs for an https JWKS URL ("" the system's)
  int jwt_jwks_refresh_secs = 300;
  std::string jwt_roles_claim = "roles";
  std::string jwt_models_claim = "models";
  int jwt_leeway_secs = 60;
  std::string tls_client_roles;  // roles of a verified client certificate ("" none)
  bool protect_metrics = false;
  double auth_failure_limit = 5;  // failed authentications per second per client address
  // Limits per identity (anonymous: per client address).
  double rate_limit = 0;  // requests per second; 0: none
  double rate_burst = 0;  // 0: one second's worth
  bool rate_limit_per_model = false;
  int concurrency_limit = 0;
  std::string registry_db;  // empty: <repository>/.inferd-registry.db
  uint64_t max_upload_bytes = 1ull << 30;
  int max_concurrent_uploads = 8;                 // job inputs streamed to disk at once
  uint64_t upload_min_free_bytes = 256ull << 20;  // disk left free after an upload
  std::string routes_db;                          // empty: <repository>/.inferd-routes.db
  std::string routes_file;         // routes and rollouts to start with (route_setup.h)
  int shadow_queue = 256;          // mirrored requests waiting at once
  std::string jobs_db;             // empty: <repository>/.inferd-jobs.db
  std::string jobs_dir;            // empty: <repository>/.inferd-jobs
  std::string jobs_input_dir;      // where job input paths may point; empty: nowhere
  int jobs_concurrency = 0;        // job threads busy at once; 0: half the cores (at least 1)
  double jobs_online_share = 1.0;  // jobs' busy share while online requests arrive; 1: unpaced
  int jobs_per_job = 0;            // chunks of one job in flight; 0: twice jobs_concurrency
  double jobs_retention_hours = 168;
  std::string jobs_redis;  // redis://… : a job store shared by replicas; empty: SQLite
  std::string jobs_redis_prefix = "inferd:";
  double jobs_lease_seconds = 30;  // a silent replica's chunks go to others after it
};

void AddServeFlags(CLI::App& cmd, ServeOptions& options);

// Runs the server until a stop signal; returns the process exit code.
int RunServe(const ServeOptions& options);

}  // namespace inferd
