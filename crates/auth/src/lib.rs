//! CMEK Desk sign-in (work in progress): Google OAuth for desktop apps, existing Google
//! credentials and CockroachDB Cloud API key validation.
