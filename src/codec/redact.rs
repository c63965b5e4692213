//! Modem bytes shown by length only: a line can carry a password (the echo of
//! `AT+QMTCONN=0,"id","user","password"`), a device secret (an `/ext/register` message) or
//! any payload, so the codec's `Debug` and `defmt` output never prints one.

/// Bytes that format as `<N bytes>`.
#[derive(Clone, Copy)]
pub(crate) struct Len<'a>(pub(crate) &'a [u8]);

impl core::fmt::Debug for Len<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Len<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "<{=usize} bytes>", self.0.len());
    }
}

/// A raw modem line kept in a typed value (a URC whose fields did not parse). It derefs to
/// its bytes; `Debug` and `defmt` show its length only, since the line may carry a secret or
/// a payload.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawLine<'a>(pub &'a [u8]);

impl<'a> RawLine<'a> {
    /// The bytes.
    ///
    /// ```
    /// use atmodem::codec::RawLine;
    /// let l = RawLine(b"+QMTSTAT: x");
    /// assert_eq!(l.as_bytes(), b"+QMTSTAT: x");
    /// assert_eq!(format!("{l:?}"), "<11 bytes>"); // never the bytes
    /// ```
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl core::ops::Deref for RawLine<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0
    }
}

impl core::fmt::Debug for RawLine<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        Len(self.0).fmt(f)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for RawLine<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        Len(self.0).format(f);
    }
}
