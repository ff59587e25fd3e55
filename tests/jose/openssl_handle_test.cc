#include "signet/jose/openssl_handle.h"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace signet::jose {
namespace {

// A stand-in OpenSSL type whose free function counts its calls.
struct Thing {
  int* frees;
};
int free_thing(Thing* t) {
  ++*t->frees;
  delete t;
  return 1;  // like BIO_free: a return value the handle ignores
}
using ThingPtr = OpensslHandle<Thing, free_thing>;

TEST(OpensslHandleTest, FreesOnceWhenTheHandleGoesOutOfScope) {
  int frees = 0;
  {
    const ThingPtr thing(new Thing{&frees});
    EXPECT_EQ(frees, 0);
  }
  EXPECT_EQ(frees, 1);
}

TEST(OpensslHandleTest, MovingHandsOverWithoutFreeing) {
  int frees = 0;
  ThingPtr first(new Thing{&frees});
  ThingPtr second = std::move(first);
  EXPECT_EQ(frees, 0);
  second.reset();
  EXPECT_EQ(frees, 1);
}

TEST(OpensslHandleTest, ReleaseHandsOwnershipToOpenssl) {
  // As ECDSA_SIG_set0 takes its BIGNUMs: after release() the handle frees nothing.
  int frees = 0;
  ThingPtr thing(new Thing{&frees});
  Thing* raw = thing.release();
  thing.reset();
  EXPECT_EQ(frees, 0);
  free_thing(raw);
  EXPECT_EQ(frees, 1);
}

TEST(OpensslHandleTest, ANullHandleFreesNothing) {
  // What a failed BIO_new or X509_new leaves: the handle is falsy and destroys quietly.
  const BioPtr bio(nullptr);
  EXPECT_FALSE(bio);
}

TEST(OpensslHandleTest, RealObjectsWorkThroughTheirHandles) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  ASSERT_TRUE(bio);
  ASSERT_EQ(BIO_write(bio.get(), "pem", 3), 3);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  EXPECT_EQ(std::string(data, static_cast<std::size_t>(len)), "pem");

  const BnPtr bn(BN_new());
  ASSERT_TRUE(bn);
  ASSERT_EQ(BN_set_word(bn.get(), 65537), 1);
  EXPECT_EQ(BN_get_word(bn.get()), 65537u);

  const X509Ptr cert(X509_new());
  EXPECT_TRUE(cert);
  const EvpMdCtxPtr md(EVP_MD_CTX_new());
  EXPECT_TRUE(md);
}

}  // namespace
}  // namespace signet::jose
