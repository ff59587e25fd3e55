#include "signet/keys/sealed_box.h"

#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "signet/jose/crypto.h"
#include "signet/jose/openssl_handle.h"

namespace signet::keys {
namespace {

constexpr std::string_view kKeyCheckLabel = "signet sealed-box key check v1";

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* u8(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

KeyError crypto_error(std::string_view what) {
  jose::clear_openssl_errors();
  return KeyError{KeyErrorCode::kCrypto, std::string(what)};
}

std::string key_check(const MasterKey& key) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(jose::sha256_md(), key.bytes().data(), static_cast<int>(key.bytes().size()),
           u8(kKeyCheckLabel), kKeyCheckLabel.size(), mac, &len) == nullptr ||
      len < kSealedKeyCheckBytes) {
    jose::clear_openssl_errors();
    throw std::runtime_error("HMAC-SHA256 failed");  // start-up only: no key, no server
  }
  return std::string(reinterpret_cast<const char*>(mac), kSealedKeyCheckBytes);
}

// The associated data: the blob's header followed by the caller's context.
std::string associated_data(std::string_view header, std::string_view aad) {
  std::string out(header);
  out.append(aad);
  return out;
}

}  // namespace

SealedBox::SealedBox(const MasterKey& key) : key_(key), key_check_(key_check(key)) {}

Result<std::string, KeyError> SealedBox::seal(std::string_view plaintext,
                                              std::string_view aad) const {
  if (plaintext.size() > kMaxSealedPlaintextBytes) {
    return fail(KeyError{KeyErrorCode::kCrypto, "plaintext too large to seal"});
  }
  std::string blob;
  blob.reserve(kSealedOverheadBytes + plaintext.size());
  blob.push_back(static_cast<char>(kSealedBoxVersion));
  blob.append(key_check_);
  std::string nonce(kSealedNonceBytes, '\0');
  jose::random_bytes({reinterpret_cast<std::uint8_t*>(nonce.data()), nonce.size()});
  const std::string ad = associated_data(blob, aad);
  blob.append(nonce);
  const std::size_t ct_offset = blob.size();
  blob.resize(ct_offset + plaintext.size() + kSealedTagBytes);

  jose::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key_.bytes().data(), u8(nonce), nullptr) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(ad), static_cast<int>(ad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), u8(blob) + ct_offset, &len, u8(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      static_cast<std::size_t>(len) != plaintext.size() ||
      EVP_EncryptFinal_ex(ctx.get(), u8(blob) + ct_offset + len, &len) != 1 || len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kSealedTagBytes),
                          u8(blob) + ct_offset + plaintext.size()) != 1) {
    return fail(crypto_error("AES-256-GCM encryption failed"));
  }
  return blob;
}

Result<std::string, KeyError> SealedBox::open(std::string_view blob, std::string_view aad) const {
  if (blob.size() < kSealedOverheadBytes) {
    return fail(KeyError{KeyErrorCode::kSealedTruncated, "sealed blob shorter than its overhead"});
  }
  if (static_cast<std::uint8_t>(blob[0]) != kSealedBoxVersion) {
    return fail(KeyError{KeyErrorCode::kSealedVersion,
                         "sealed blob version " +
                             std::to_string(static_cast<int>(static_cast<std::uint8_t>(blob[0])))});
  }
  const std::string_view header = blob.substr(0, 1 + kSealedKeyCheckBytes);
  if (!jose::constant_time_equal(header.substr(1), key_check_)) {
    return fail(KeyError{KeyErrorCode::kSealedWrongMasterKey,
                         "sealed under another master key (check SIGNET_MASTER_KEY or "
                         "master.key)"});
  }
  const std::string_view nonce = blob.substr(header.size(), kSealedNonceBytes);
  const std::string_view ct =
      blob.substr(header.size() + kSealedNonceBytes, blob.size() - kSealedOverheadBytes);
  std::string tag(blob.substr(blob.size() - kSealedTagBytes));
  const std::string ad = associated_data(header, aad);

  std::string plaintext(ct.size(), '\0');
  jose::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool setup_ok =
      ctx &&
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key_.bytes().data(), u8(nonce), nullptr) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(ad), static_cast<int>(ad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), u8(plaintext), &len, u8(ct), static_cast<int>(ct.size())) == 1 &&
      static_cast<std::size_t>(len) == ct.size() &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kSealedTagBytes),
                          u8(tag)) == 1;
  if (!setup_ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return fail(crypto_error("AES-256-GCM decryption failed"));
  }
  // The tag is checked here; until it passes, the plaintext is unauthenticated and is wiped.
  if (EVP_DecryptFinal_ex(ctx.get(), u8(plaintext) + len, &len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    jose::clear_openssl_errors();
    return fail(KeyError{KeyErrorCode::kSealedAuthentication,
                         "sealed blob or its kid/algorithm was altered"});
  }
  return plaintext;
}

}  // namespace signet::keys
