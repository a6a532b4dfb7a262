#include "frontends/http/router.h"

namespace inferd::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  out.reserve(8);
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    const size_t end = path.find('/', pos);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    out.push_back(path.substr(pos, stop - pos));
    pos = stop;
  }
  return out;
}

}  // namespace

void Router::Add(Method method, std::string_view pattern, HttpHandler handler) {
  Route route{method, std::string(pattern), {}, std::move(handler)};
  for (auto segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  routes_.push_back(std::move(route));
}

bool Router::Match(const Route& route, const std::vector<std::string_view>& path,
                   HttpRequest& request) {
  if (route.segments.size() != path.size()) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    const bool capture = want.size() > 2 && want.front() == '{' && want.back() == '}';
    if (!capture && want != path[i]) return false;
    if (capture && path[i].empty()) return false;
  }
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& want = route.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      request.params[want.substr(1, want.size() - 2)] = std::string(path[i]);
    }
  }
  return true;
}

void Router::Dispatch(HttpRequest& request, Responder respond) const {
  const auto path = SplitPath(request.path);
  bool path_known = false;
  for (const Route& route : routes_) {
    if (!Match(route, path, request)) continue;
    path_known = true;
    if (route.method == request.method ||
        (request.method == Method::kHead && route.method == Method::kGet)) {
      route.handler(request, std::move(respond));
      return;
    }
    request.params.clear();
  }
  if (path_known) {
    respond(JsonError(405, "method not allowed for " + request.path));
  } else {
    respond(JsonError(404, "no route for " + request.path));
  }
}

std::vector<std::pair<Method, std::string>> Router::Routes() const {
  std::vector<std::pair<Method, std::string>> out;
  for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace inferd::http
