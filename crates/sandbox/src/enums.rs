//! Cloud KMS enum encoding: requests may carry enums as integers and responses must use integers
//! when the client asks for `$alt=json;enum-encoding=int` (as the recordings do).
//!
//! The integers are the *proto enum numbers*, not positions in the discovery document's enum
//! list: the recordings show `"state": 1` for ENABLED, which is index 2 in discovery
//! (PENDING_GENERATION = 5 in the proto). Only values whose proto numbers are known are mapped;
//! other values stay strings. Name lists (for validation) come from the discovery document.

use serde_json::Value;

const PURPOSE: &[&str] = &[
    "CRYPTO_KEY_PURPOSE_UNSPECIFIED",
    "ENCRYPT_DECRYPT",
    "ASYMMETRIC_SIGN",
    "ASYMMETRIC_DECRYPT",
    "RAW_ENCRYPT_DECRYPT",
    "MAC",
    "KEY_ENCAPSULATION",
];
const ALGORITHM: &[&str] = &[
    "CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED",
    "GOOGLE_SYMMETRIC_ENCRYPTION",
    "AES_128_GCM",
    "AES_256_GCM",
    "AES_128_CBC",
    "AES_256_CBC",
    "AES_128_CTR",
    "AES_256_CTR",
    "RSA_SIGN_PSS_2048_SHA256",
    "RSA_SIGN_PSS_3072_SHA256",
    "RSA_SIGN_PSS_4096_SHA256",
    "RSA_SIGN_PSS_4096_SHA512",
    "RSA_SIGN_PKCS1_2048_SHA256",
    "RSA_SIGN_PKCS1_3072_SHA256",
    "RSA_SIGN_PKCS1_4096_SHA256",
    "RSA_SIGN_PKCS1_4096_SHA512",
    "RSA_SIGN_RAW_PKCS1_2048",
    "RSA_SIGN_RAW_PKCS1_3072",
    "RSA_SIGN_RAW_PKCS1_4096",
    "RSA_DECRYPT_OAEP_2048_SHA256",
    "RSA_DECRYPT_OAEP_3072_SHA256",
    "RSA_DECRYPT_OAEP_4096_SHA256",
    "RSA_DECRYPT_OAEP_4096_SHA512",
    "RSA_DECRYPT_OAEP_2048_SHA1",
    "RSA_DECRYPT_OAEP_3072_SHA1",
    "RSA_DECRYPT_OAEP_4096_SHA1",
    "EC_SIGN_P256_SHA256",
    "EC_SIGN_P384_SHA384",
    "EC_SIGN_SECP256K1_SHA256",
    "EC_SIGN_ED25519",
    "HMAC_SHA256",
    "HMAC_SHA1",
    "HMAC_SHA384",
    "HMAC_SHA512",
    "HMAC_SHA224",
    "EXTERNAL_SYMMETRIC_ENCRYPTION",
    "ML_KEM_768",
    "ML_KEM_1024",
    "KEM_XWING",
    "PQ_SIGN_ML_DSA_44",
    "PQ_SIGN_ML_DSA_65",
    "PQ_SIGN_ML_DSA_87",
    "PQ_SIGN_SLH_DSA_SHA2_128S",
    "PQ_SIGN_HASH_SLH_DSA_SHA2_128S_SHA256",
    "PQ_SIGN_ML_DSA_44_EXTERNAL_MU",
    "PQ_SIGN_ML_DSA_65_EXTERNAL_MU",
    "PQ_SIGN_ML_DSA_87_EXTERNAL_MU",
];
const PROTECTION_LEVEL: &[&str] = &[
    "PROTECTION_LEVEL_UNSPECIFIED",
    "SOFTWARE",
    "HSM",
    "EXTERNAL",
    "EXTERNAL_VPC",
    "HSM_SINGLE_TENANT",
];

const PURPOSE_NUM: &[(&str, u64)] = &[
    ("CRYPTO_KEY_PURPOSE_UNSPECIFIED", 0),
    ("ENCRYPT_DECRYPT", 1),
    ("ASYMMETRIC_SIGN", 5),
    ("ASYMMETRIC_DECRYPT", 6),
    ("RAW_ENCRYPT_DECRYPT", 7),
    ("MAC", 9),
];
const ALGORITHM_NUM: &[(&str, u64)] = &[
    ("CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED", 0),
    ("GOOGLE_SYMMETRIC_ENCRYPTION", 1),
    ("RSA_SIGN_PSS_2048_SHA256", 2),
    ("RSA_SIGN_PSS_3072_SHA256", 3),
    ("RSA_SIGN_PSS_4096_SHA256", 4),
    ("RSA_SIGN_PKCS1_2048_SHA256", 5),
    ("RSA_SIGN_PKCS1_3072_SHA256", 6),
    ("RSA_SIGN_PKCS1_4096_SHA256", 7),
    ("RSA_DECRYPT_OAEP_2048_SHA256", 8),
    ("RSA_DECRYPT_OAEP_3072_SHA256", 9),
    ("RSA_DECRYPT_OAEP_4096_SHA256", 10),
    ("EC_SIGN_P256_SHA256", 12),
    ("EC_SIGN_P384_SHA384", 13),
    ("EXTERNAL_SYMMETRIC_ENCRYPTION", 18),
    ("AES_256_GCM", 19),
    ("HMAC_SHA256", 32),
];
const PROTECTION_LEVEL_NUM: &[(&str, u64)] = &[
    ("PROTECTION_LEVEL_UNSPECIFIED", 0),
    ("SOFTWARE", 1),
    ("HSM", 2),
    ("EXTERNAL", 3),
    ("EXTERNAL_VPC", 4),
];
const VERSION_STATE_NUM: &[(&str, u64)] = &[
    ("CRYPTO_KEY_VERSION_STATE_UNSPECIFIED", 0),
    ("ENABLED", 1),
    ("DISABLED", 2),
    ("DESTROYED", 3),
    ("DESTROY_SCHEDULED", 4),
    ("PENDING_GENERATION", 5),
    ("PENDING_IMPORT", 6),
    ("IMPORT_FAILED", 7),
    ("GENERATION_FAILED", 8),
    ("PENDING_EXTERNAL_DESTRUCTION", 9),
    ("EXTERNAL_DESTRUCTION_FAILED", 10),
];

fn table(field: &str) -> Option<&'static [(&'static str, u64)]> {
    match field {
        "purpose" => Some(PURPOSE_NUM),
        "algorithm" => Some(ALGORITHM_NUM),
        "protectionLevel" => Some(PROTECTION_LEVEL_NUM),
        "state" => Some(VERSION_STATE_NUM),
        _ => None,
    }
}

fn walk(v: &mut Value, to_int: bool) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if let Some(t) = table(k) {
                    if to_int {
                        if let Some((_, i)) =
                            x.as_str().and_then(|s| t.iter().find(|(n, _)| *n == s))
                        {
                            *x = Value::from(*i);
                        }
                    } else if let Some((n, _)) =
                        x.as_u64().and_then(|i| t.iter().find(|(_, v)| *v == i))
                    {
                        *x = Value::from(*n);
                    }
                } else {
                    walk(x, to_int);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, to_int)),
        _ => {}
    }
}

/// Converts integer-encoded KMS enums in a request body to their names.
pub(crate) fn to_names(v: &mut Value) {
    walk(v, false);
}

/// Converts KMS enum names in a response body to their integer indexes.
pub(crate) fn to_ints(v: &mut Value) {
    walk(v, true);
}

/// Whether `s` is a valid, specified `CryptoKey.purpose`.
pub(crate) fn valid_purpose(s: &str) -> bool {
    PURPOSE.iter().skip(1).any(|p| *p == s)
}

/// Whether `s` is a valid, specified algorithm.
pub(crate) fn valid_algorithm(s: &str) -> bool {
    ALGORITHM.iter().skip(1).any(|p| *p == s)
}

/// Whether `s` is a valid, specified protection level.
pub(crate) fn valid_protection_level(s: &str) -> bool {
    PROTECTION_LEVEL.iter().skip(1).any(|p| *p == s)
}
