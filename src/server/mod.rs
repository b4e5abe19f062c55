//! `aerolite serve` (in progress).
