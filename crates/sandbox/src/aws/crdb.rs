//! CockroachDB's side of AWS CMEK (filled in below).
