//! Module families: one module per family (`quectel`, `luat`) plus the 3GPP commands they share.
//!
//! Each family contributes typed commands (name, arguments, typed response, default timeout)
//! and its URCs to the codec's dispatch. A new family is one more module here.
