// Maps method + path to a handler. Patterns are literal segments and
// "{name}" captures, e.g. "/v2/models/{model}/versions/{version}/infer".
// Not thread-safe to modify; read-only (and so thread-safe) once serving.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontends/http/http_types.h"

namespace inferd::http {

class Router {
 public:
  void Add(Method method, std::string_view pattern, HttpHandler handler);

  // Runs the matching handler; answers 404 for an unknown path and 405 for a
  // known path with another method.
  void Dispatch(HttpRequest& request, Responder respond) const;

  // The patterns registered, in order (for the OpenAPI document and tests).
  std::vector<std::pair<Method, std::string>> Routes() const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;
    HttpHandler handler;
  };
  static bool Match(const Route& route, const std::vector<std::string_view>& path,
                    HttpRequest& request);
  std::vector<Route> routes_;
};

}  // namespace inferd::http
