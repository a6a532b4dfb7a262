#include "frontends/tls/tls_reloader.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace inferd::tls {
namespace {

namespace fs = std::filesystem;

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

std::string ToPem(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

// A self-signed P-256 certificate with this common name and serial.
KeyAndCert MakeCertificate(const char* cn, long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  KeyAndCert out;
  out.key_pem = ToPem(
      [](BIO* bio, void* k) {
        return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0,
                                        nullptr, nullptr);
      },
      key);
  out.cert_pem =
      ToPem([](BIO* bio, void* c) { return PEM_write_bio_X509(bio, static_cast<X509*>(c)); }, cert);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int64_t Mtime(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mtim.tv_sec;
}

class TlsReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    files_.cert_file = (dir_ / "server.crt").string();
    files_.key_file = (dir_ / "server.key").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Install(const KeyAndCert& pair) {
    Write(files_.key_file, pair.key_pem);
    Write(files_.cert_file, pair.cert_pem);
  }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  fs::path dir_;
  TlsFiles files_;
};

TEST_F(TlsReloaderTest, RefusesToStartWithAKeyThatIsNotTheCertificates) {
  const auto a = MakeCertificate("a", 1);
  const auto b = MakeCertificate("b", 2);
  Write(files_.cert_file, a.cert_pem);
  Write(files_.key_file, b.key_pem);
  auto reloader = TlsReloader::Create(files_);
  ASSERT_FALSE(reloader.ok());
  EXPECT_NE(reloader.status().message().find("does not match"), std::string::npos)
      << reloader.status().message();
}

TEST_F(TlsReloaderTest, ClientVerificationNeedsACa) {
  Install(MakeCertificate("a", 1));
  files_.client_auth = ClientAuth::kRequired;
  EXPECT_FALSE(TlsReloader::Create(files_).ok());
}

TEST_F(TlsReloaderTest, ABrokenPairIsRefusedAndTheOneInUseKept) {
  const auto a = MakeCertificate("a", 1);
  Install(a);
  auto created = TlsReloader::Create(files_);
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto& reloader = **created;
  const auto context = reloader.HttpContext();
  const std::string copy = Read(reloader.grpc_identity_file());
  // gRPC reads the key and the chain from one file: key first.
  EXPECT_EQ(copy.rfind(a.key_pem, 0), 0u);
  EXPECT_NE(copy.find(a.cert_pem), std::string::npos);

  Write(files_.cert_file, MakeCertificate("b", 2).cert_pem);  // the key stays a's
  EXPECT_FALSE(reloader.Reload("test"));
  EXPECT_EQ(reloader.HttpContext(), context);
  EXPECT_EQ(Read(reloader.grpc_identity_file()), copy);
  Write(files_.key_file, "not a key");
  EXPECT_FALSE(reloader.Reload("test"));
  fs::remove(files_.key_file);
  EXPECT_FALSE(reloader.Reload("test"));
  EXPECT_EQ(reloader.HttpContext(), context);
  EXPECT_EQ(reloader.reloads(), 0u);
}

TEST_F(TlsReloaderTest, ANewPairReachesNewConnectionsAndGrpcsCopy) {
  Install(MakeCertificate("a", 1));
  auto created = TlsReloader::Create(files_);
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto& reloader = **created;
  const auto first = reloader.HttpContext();
  int64_t mtime = Mtime(reloader.grpc_identity_file());

  EXPECT_TRUE(reloader.Reload("unchanged"));  // nothing new: nothing swapped
  EXPECT_EQ(reloader.HttpContext(), first);
  EXPECT_EQ(reloader.reloads(), 0u);

  for (long serial = 2; serial <= 4; ++serial) {  // faster than a second apart
    const auto next = MakeCertificate("a", serial);
    Install(next);
    ASSERT_TRUE(reloader.Reload("test"));
    EXPECT_NE(reloader.HttpContext(), first);
    EXPECT_EQ(Read(reloader.grpc_identity_file()).rfind(next.key_pem, 0), 0u);
    // gRPC compares whole-second mtimes to notice a file changing under it.
    const int64_t now = Mtime(reloader.grpc_identity_file());
    EXPECT_GT(now, mtime);
    mtime = now;
  }
  EXPECT_EQ(reloader.reloads(), 3u);
}

TEST_F(TlsReloaderTest, TheWatcherNoticesAChangedFile) {
  Install(MakeCertificate("a", 1));
  auto created = TlsReloader::Create(files_);
  ASSERT_TRUE(created.ok()) << created.status().message();
  auto& reloader = **created;
  reloader.StartWatching(std::chrono::milliseconds(20));
  Install(MakeCertificate("a", 2));
  for (int i = 0; i < 500 && reloader.reloads() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(reloader.reloads(), 1u);
}

}  // namespace
}  // namespace inferd::tls
