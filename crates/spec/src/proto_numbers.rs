//! Proto enum numbers for enums whose discovery `enum` order differs from the proto
//! numbering.
//!
//! With `$alt=json;enum-encoding=int` Google writes the *proto number*, not the index in the
//! discovery list. The recordings prove the difference: a new KMS key version is `"state": 1`
//! (ENABLED = 1 in `google/cloud/kms/v1/resources.proto`) although ENABLED is at index 2 of
//! the discovery list (after PENDING_GENERATION = 5). Discovery documents carry no numbers,
//! so the enums the app touches are listed here, copied from googleapis/googleapis
//! `google/cloud/kms/v1/resources.proto`. Enums not listed fall back to the discovery index,
//! which matches the proto only when the proto numbers its values in declaration order.

/// `(name, number)` tables, each keyed by its `*_UNSPECIFIED` (= 0) value, which is unique.
const TABLES: &[&[(&str, u64)]] = &[
    &[
        ("CRYPTO_KEY_PURPOSE_UNSPECIFIED", 0),
        ("ENCRYPT_DECRYPT", 1),
        ("ASYMMETRIC_SIGN", 5),
        ("ASYMMETRIC_DECRYPT", 6),
        ("RAW_ENCRYPT_DECRYPT", 7),
        ("MAC", 9),
    ],
    &[
        ("CRYPTO_KEY_VERSION_STATE_UNSPECIFIED", 0),
        ("PENDING_GENERATION", 5),
        ("ENABLED", 1),
        ("DISABLED", 2),
        ("DESTROYED", 3),
        ("DESTROY_SCHEDULED", 4),
        ("PENDING_IMPORT", 6),
        ("IMPORT_FAILED", 7),
        ("GENERATION_FAILED", 8),
        ("PENDING_EXTERNAL_DESTRUCTION", 9),
        ("EXTERNAL_DESTRUCTION_FAILED", 10),
    ],
    &[
        ("CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED", 0),
        ("GOOGLE_SYMMETRIC_ENCRYPTION", 1),
        ("AES_128_GCM", 41),
        ("AES_256_GCM", 19),
        ("AES_128_CBC", 42),
        ("AES_256_CBC", 43),
        ("AES_128_CTR", 44),
        ("AES_256_CTR", 45),
        ("RSA_SIGN_PSS_2048_SHA256", 2),
        ("RSA_SIGN_PSS_3072_SHA256", 3),
        ("RSA_SIGN_PSS_4096_SHA256", 4),
        ("RSA_SIGN_PSS_4096_SHA512", 15),
        ("RSA_SIGN_PKCS1_2048_SHA256", 5),
        ("RSA_SIGN_PKCS1_3072_SHA256", 6),
        ("RSA_SIGN_PKCS1_4096_SHA256", 7),
        ("RSA_SIGN_PKCS1_4096_SHA512", 16),
        ("RSA_SIGN_RAW_PKCS1_2048", 28),
        ("RSA_SIGN_RAW_PKCS1_3072", 29),
        ("RSA_SIGN_RAW_PKCS1_4096", 30),
        ("RSA_DECRYPT_OAEP_2048_SHA256", 8),
        ("RSA_DECRYPT_OAEP_3072_SHA256", 9),
        ("RSA_DECRYPT_OAEP_4096_SHA256", 10),
        ("RSA_DECRYPT_OAEP_4096_SHA512", 17),
        ("RSA_DECRYPT_OAEP_2048_SHA1", 37),
        ("RSA_DECRYPT_OAEP_3072_SHA1", 38),
        ("RSA_DECRYPT_OAEP_4096_SHA1", 39),
        ("EC_SIGN_P256_SHA256", 12),
        ("EC_SIGN_P384_SHA384", 13),
        ("EC_SIGN_SECP256K1_SHA256", 31),
        ("EC_SIGN_ED25519", 40),
        ("HMAC_SHA256", 32),
        ("HMAC_SHA1", 33),
        ("HMAC_SHA384", 34),
        ("HMAC_SHA512", 35),
        ("HMAC_SHA224", 36),
        ("EXTERNAL_SYMMETRIC_ENCRYPTION", 18),
        ("PQ_SIGN_ML_DSA_65", 56),
        ("PQ_SIGN_SLH_DSA_SHA2_128S", 57),
    ],
    &[
        ("PROTECTION_LEVEL_UNSPECIFIED", 0),
        ("SOFTWARE", 1),
        ("HSM", 2),
        ("EXTERNAL", 3),
        ("EXTERNAL_VPC", 4),
    ],
];

/// The `(name, number)` pairs of a discovery enum: from the table when known, else the
/// discovery index.
pub(crate) fn numbering(values: &[serde_json::Value]) -> Vec<(String, u64)> {
    let first = values.first().and_then(|v| v.as_str()).unwrap_or_default();
    match TABLES
        .iter()
        .find(|t| t.first().is_some_and(|(name, _)| *name == first))
    {
        Some(table) => table.iter().map(|(n, i)| ((*n).to_owned(), *i)).collect(),
        None => values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((v.as_str()?.to_owned(), i as u64)))
            .collect(),
    }
}
