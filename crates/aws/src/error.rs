//! The one mapping of AWS SDK errors into `cmek_core::Error` (ARCHITECTURE invariant 6).
//!
//! | AWS error code (any service) | `ErrorCode` |
//! |---|---|
//! | `AccessDenied`, `AccessDeniedException`, `UnauthorizedOperation` | `PermissionDenied` |
//! | `NoSuchEntity`, `NotFoundException`, `NoSuchEntityException` | `NotFound` |
//! | `EntityAlreadyExists`, `AlreadyExistsException` | `AlreadyExists` |
//! | `MalformedPolicyDocument`, `MalformedPolicyDocumentException` | `InvalidArgument` (AWS's message kept: it names the invalid principal, B26/B27) |
//! | `Throttling`, `ThrottlingException`, `TooManyRequestsException`, `RequestLimitExceeded` | `RateLimited` |
//! | `InvalidClientTokenId`, `UnrecognizedClientException`, `ExpiredToken`, `ExpiredTokenException`, `SignatureDoesNotMatch`, `IncompleteSignature`, `MissingAuthenticationToken` | `Unauthenticated` |
//! | `KMSInvalidStateException`, `DisabledException`, `UnsupportedOperationException`, `DeleteConflict` | `FailedPrecondition` |
//! | `ConcurrentModification`, `ConcurrentModificationException` | `Conflict` |
//! | `ServiceFailure`, `ServiceUnavailable`, `InternalFailure`, `KMSInternalException`, `DependencyTimeoutException` | `Unavailable` |
//! | `LimitExceeded`, `LimitExceededException` | `FailedPrecondition` (a resource quota, not a rate) |
//! | anything else with HTTP 4xx | `InvalidArgument`; 5xx: `Unavailable` |
//!
//! Transport failures and time-outs become `Error::transport` (no status), so the retry rule
//! knows a write may have been applied. Credential problems found before sending
//! (no credentials in the chain, an expired SSO session) are `Unauthenticated`.

use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use cmek_core::{Error, ErrorCode};

/// The code for an AWS error code string (see the module table); `None` when unknown.
pub fn code_for(aws_code: &str) -> Option<ErrorCode> {
    Some(match aws_code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            ErrorCode::PermissionDenied
        }
        "NoSuchEntity" | "NoSuchEntityException" | "NotFoundException" => ErrorCode::NotFound,
        "EntityAlreadyExists" | "AlreadyExistsException" => ErrorCode::AlreadyExists,
        "MalformedPolicyDocument" | "MalformedPolicyDocumentException" => {
            ErrorCode::InvalidArgument
        }
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded" => ErrorCode::RateLimited,
        "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => ErrorCode::Unauthenticated,
        "KMSInvalidStateException"
        | "DisabledException"
        | "UnsupportedOperationException"
        | "DeleteConflict"
        | "LimitExceeded"
        | "LimitExceededException" => ErrorCode::FailedPrecondition,
        "ConcurrentModification" | "ConcurrentModificationException" => ErrorCode::Conflict,
        "ServiceFailure"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "KMSInternalException"
        | "DependencyTimeoutException" => ErrorCode::Unavailable,
        _ => return None,
    })
}

/// Maps one SDK error of `service`'s `operation` on `resource`.
pub fn map_sdk_error<E>(
    service: &str,
    operation: &str,
    resource: &str,
    err: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let what = format!("AWS {service} {operation}");
    let error = match &err {
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            let aws_code = e.err().code().unwrap_or_default();
            let message = e.err().message().unwrap_or_default();
            let code = code_for(aws_code).unwrap_or(match status {
                500..=599 => ErrorCode::Unavailable,
                401 => ErrorCode::Unauthenticated,
                403 => ErrorCode::PermissionDenied,
                404 => ErrorCode::NotFound,
                429 => ErrorCode::RateLimited,
                _ => ErrorCode::InvalidArgument,
            });
            let text = match (aws_code.is_empty(), message.is_empty()) {
                (false, false) => format!("{what} refused: {aws_code}: {message}"),
                (false, true) => format!("{what} refused: {aws_code}"),
                _ => format!("{what} refused with HTTP {status}"),
            };
            let mut error = Error::new(code, text).with_status(status);
            if code == ErrorCode::PermissionDenied {
                error =
                    error.with_permission(format!("{}:{operation}", permission_prefix(service)));
            }
            error
        }
        SdkError::TimeoutError(_) => {
            Error::transport(format!("{what} did not answer within the time limit"))
        }
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => Error::transport(format!(
            "{what} could not be reached: {}",
            DisplayErrorContext(&err)
        )),
        SdkError::DispatchFailure(_) => {
            let text = DisplayErrorContext(&err).to_string();
            let lower = text.to_ascii_lowercase();
            if lower.contains("credential") || lower.contains("token") || lower.contains("sso") {
                Error::new(
                    ErrorCode::Unauthenticated,
                    format!("No usable AWS credentials for {what}: {text}"),
                )
            } else {
                Error::transport(format!("{what} could not be sent: {text}"))
            }
        }
        SdkError::ResponseError(r) => Error::transport(format!(
            "{what}: the answer (HTTP {}) could not be read",
            r.raw().status().as_u16()
        )),
        _ => Error::internal(format!(
            "{what} could not be built: {}",
            DisplayErrorContext(&err)
        )),
    };
    if resource.is_empty() {
        error
    } else {
        error.with_resource(resource.to_owned())
    }
}

/// `iam`, `kms` or `sts`: the IAM action prefix of the service.
fn permission_prefix(service: &str) -> &str {
    match service {
        "IAM" => "iam",
        "KMS" => "kms",
        "STS" => "sts",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_as_the_table_says() {
        let table = [
            ("AccessDenied", Some(ErrorCode::PermissionDenied)),
            ("AccessDeniedException", Some(ErrorCode::PermissionDenied)),
            ("NoSuchEntity", Some(ErrorCode::NotFound)),
            ("NotFoundException", Some(ErrorCode::NotFound)),
            ("EntityAlreadyExists", Some(ErrorCode::AlreadyExists)),
            ("AlreadyExistsException", Some(ErrorCode::AlreadyExists)),
            (
                "MalformedPolicyDocumentException",
                Some(ErrorCode::InvalidArgument),
            ),
            ("MalformedPolicyDocument", Some(ErrorCode::InvalidArgument)),
            ("Throttling", Some(ErrorCode::RateLimited)),
            ("ThrottlingException", Some(ErrorCode::RateLimited)),
            ("ExpiredToken", Some(ErrorCode::Unauthenticated)),
            ("InvalidClientTokenId", Some(ErrorCode::Unauthenticated)),
            (
                "KMSInvalidStateException",
                Some(ErrorCode::FailedPrecondition),
            ),
            ("ConcurrentModificationException", Some(ErrorCode::Conflict)),
            ("KMSInternalException", Some(ErrorCode::Unavailable)),
            ("ServiceFailure", Some(ErrorCode::Unavailable)),
            ("SomethingNew", None),
        ];
        for (aws, want) in table {
            assert_eq!(code_for(aws), want, "{aws}");
        }
    }
}
