//! Shared, dev-only test fixtures: a simulator on port 0, temporary directories, filters that
//! replace times with `[TIME]`.
