//! Conf-parser tests: one per rule of spec §2.3–2.6.
