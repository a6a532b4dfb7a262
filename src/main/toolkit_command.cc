#include "main/toolkit_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

namespace inferd {
namespace {

constexpr const char* kCommands[][2] = {
    {"convert", "Python toolkit: a trained model to ONNX, checked on sample rows"},
    {"verify", "Python toolkit: the original model against the model as served"},
    {"quantize", "Python toolkit: int8 quantization with its accuracy change measured"},
    {"push", "Python toolkit: a model into a repository or the registry"},
};

// The wheel `make` leaves next to this binary (build/inferd ->
// build/python/dist/inferd-*.whl), for the install hint; "" when none.
std::string LocalWheel() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  std::filesystem::directory_iterator it(exe.parent_path() / "python" / "dist", ec);
  if (ec) return "";
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("inferd-") && name.ends_with(".whl")) return entry.path().string();
  }
  return "";
}

// Run by the interpreter: the toolkit's main, or the install hint (exit 127)
// when the package itself is what is missing.
std::string Launcher(const std::string& python, const std::string& command) {
  std::string wheel = LocalWheel();
  std::string hint = "inferd " + command + " is part of inferd's Python toolkit, which " + python +
                     " cannot import. Install it: " + python + " -m pip install " +
                     (wheel.empty() ? std::string("'inferd[sklearn]'")
                                    : "'" + wheel + "[sklearn]' (the wheel make built)") +
                     "; choose another interpreter with INFERD_PYTHON.";
  std::string quoted;
  for (char c : hint) quoted += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  // python -c puts the working directory first on sys.path: a user's
  // numpy.py or inferd.py there must not shadow the real ones.
  return "import sys\n"
         "if sys.path and sys.path[0] in ('', '.'): del sys.path[0]\n"
         "try:\n"
         "    from inferd.cli import main\n"
         "except ImportError as e:\n"
         "    if (e.name or '').split('.')[0] != 'inferd': raise\n"
         "    print(\"" +
         quoted +
         "\", file=sys.stderr)\n"
         "    sys.exit(127)\n"
         "sys.exit(main(sys.argv[1:]))\n";
}

}  // namespace

std::vector<CLI::App*> AddToolkitCommands(CLI::App& app) {
  std::vector<CLI::App*> commands;
  for (const auto& [name, description] : kCommands) {
    CLI::App* sub = app.add_subcommand(name, description);
    sub->prefix_command();  // every argument after the name goes to Python
    sub->set_help_flag();   // ... --help included
    sub->allow_extras();
    commands.push_back(sub);
  }
  return commands;
}

int RunToolkit(const CLI::App& command) {
  const char* chosen = std::getenv("INFERD_PYTHON");
  std::string python = chosen != nullptr && *chosen != '\0' ? chosen : "python3";
  std::string script = Launcher(python, command.get_name());
  std::vector<std::string> args = {python, "-c", script, command.get_name()};
  for (const std::string& arg : command.remaining()) args.push_back(arg);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execvp(python.c_str(), argv.data());
  std::cerr << "inferd " << command.get_name() << ": cannot start " << python << ": "
            << std::strerror(errno)
            << " (the Python toolkit needs Python 3; set INFERD_PYTHON to its path)\n";
  return 127;
}

}  // namespace inferd
