//! Wrappers that keep secrets and tokens out of `Debug`, `Display` and `defmt` output.
//!
//! [`Secret`] owns its bytes in a fixed array that is wiped on drop; [`SecretRef`] borrows a
//! secret from a caller's buffer (e.g. a reply body) and only hides it. Both hand the value out
//! through an explicit [`Secret::expose`] / [`SecretRef::expose`].

use zeroize::Zeroize;

use super::error::Error;

/// An owned secret or token of at most `N` ASCII bytes, zeroized on drop.
///
/// `Debug` prints `Secret(***)`; there is no `Display`. Call [`Secret::expose`] to use the value.
pub struct Secret<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Secret<N> {
    /// An empty secret.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let s: Secret<16> = Secret::new();
    /// assert!(s.is_empty());
    /// assert_eq!(s.capacity(), 16);
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// Copies `value` into a new secret; [`Error::Capacity`] if it is longer than `N` bytes.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let s: Secret<8> = Secret::try_from_str("Xy12ab").unwrap();
    /// assert_eq!(s.expose(), "Xy12ab");
    /// assert_eq!(format!("{s:?}"), "Secret(***)");
    /// assert!(Secret::<4>::try_from_str("too long").is_err());
    /// ```
    pub fn try_from_str(value: &str) -> Result<Self, Error> {
        let mut s = Self::new();
        s.push_str(value)?;
        Ok(s)
    }

    /// The secret's text. Use it deliberately: everything it reaches can leak it.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let s: Secret<8> = Secret::try_from_str("Xy12ab").unwrap();
    /// assert_eq!(s.expose(), "Xy12ab");
    /// ```
    #[must_use]
    pub fn expose(&self) -> &str {
        let bytes = self.buf.get(..self.len).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Length in bytes.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let s: Secret<8> = Secret::try_from_str("Xy12ab").unwrap();
    /// assert_eq!((s.len(), s.is_empty()), (6, false));
    /// ```
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when the secret holds no bytes.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// assert!(Secret::<8>::default().is_empty());
    /// ```
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maximum length in bytes.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// assert_eq!(Secret::<64>::new().capacity(), 64);
    /// ```
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Appends `s`, all or nothing.
    pub(crate) fn push_str(&mut self, s: &str) -> Result<(), Error> {
        let end = self.len.checked_add(s.len()).ok_or(Error::Capacity)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(Error::Capacity)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }

    /// Appends one ASCII byte.
    pub(crate) fn push_ascii(&mut self, b: u8) -> Result<(), Error> {
        if !b.is_ascii() {
            return Err(Error::Capacity);
        }
        let slot = self.buf.get_mut(self.len).ok_or(Error::Capacity)?;
        *slot = b;
        self.len = self.len.checked_add(1).ok_or(Error::Capacity)?;
        Ok(())
    }
}

impl<const N: usize> Default for Secret<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Clone for Secret<N> {
    fn clone(&self) -> Self {
        Self {
            buf: self.buf,
            len: self.len,
        }
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        self.buf.zeroize();
        self.len.zeroize();
    }
}

impl<const N: usize> core::fmt::Debug for Secret<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for Secret<N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Secret(***)");
    }
}

/// A secret borrowed from someone else's buffer (a reply body, a caller's configuration).
///
/// It only hides the value from `Debug`/`defmt`; wiping the buffer stays the owner's job.
#[derive(Clone, Copy)]
pub struct SecretRef<'a>(&'a str);

impl<'a> SecretRef<'a> {
    /// Wraps a borrowed secret.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let r = SecretRef::new("Xy12ab");
    /// assert_eq!(r.expose(), "Xy12ab");
    /// assert!(!format!("{r:?}").contains("Xy12ab"));
    /// ```
    #[must_use]
    pub const fn new(value: &'a str) -> Self {
        Self(value)
    }

    /// The secret's text. Use it deliberately: everything it reaches can leak it.
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// assert_eq!(SecretRef::new("Xy12ab").expose(), "Xy12ab");
    /// ```
    #[must_use]
    pub const fn expose(&self) -> &'a str {
        self.0
    }

    /// Copies the secret into an owned, zeroize-on-drop [`Secret`].
    ///
    /// ```
    /// use atmodem::aliyun::{Secret, SecretRef};
    /// let owned: Secret<8> = SecretRef::new("Xy12ab").to_secret().unwrap();
    /// assert_eq!(owned.expose(), "Xy12ab");
    /// assert!(SecretRef::new("Xy12ab").to_secret::<4>().is_err());
    /// ```
    pub fn to_secret<const N: usize>(&self) -> Result<Secret<N>, Error> {
        Secret::try_from_str(self.0)
    }
}

impl core::fmt::Debug for SecretRef<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SecretRef<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Secret(***)");
    }
}
