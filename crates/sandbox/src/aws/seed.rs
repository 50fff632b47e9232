//! AWS seeds (filled in below).
