//! Aliyun's NTP service over MQTT: the request payload and the time computed from the
//! response.
//!
//! The device publishes `{"deviceSendTime":"<ms>"}` (QoS 0) on `/ext/ntp/{pk}/{dn}/request`
//! after it has connected and subscribed to `/ext/ntp/{pk}/{dn}/response`; the platform
//! answers `{"deviceSendTime":"…","serverRecvTime":"…","serverSendTime":"…"}` (all ms). Both
//! device times come from one monotonic millisecond clock of the device (uptime is fine).
//! The response carries no `id`: the echoed `deviceSendTime` pairs it with its request.

use heapless::String;

use super::thing::{Members, ThingError, ThingField, as_u64};

/// Capacity of an NTP request payload (`{"deviceSendTime":"` + 20 digits + `"}`).
pub const NTP_REQUEST_CAP: usize = 42;

/// Write the NTP request `{"deviceSendTime":"<device_send_ms>"}` into `out` (cleared
/// first); `deviceSendTime` is a string, as the platform documents it.
///
/// ```
/// use atmodem::aliyun::ntp::{NTP_REQUEST_CAP, write_ntp_request};
/// let mut out = heapless::String::<NTP_REQUEST_CAP>::new();
/// write_ntp_request(1571724098000, &mut out)?;
/// assert_eq!(out.as_str(), r#"{"deviceSendTime":"1571724098000"}"#);
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_ntp_request<const N: usize>(
    device_send_ms: u64,
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    let mut buf = [0u8; 20];
    let digits = core::str::from_utf8(crate::codec::format_u64(device_send_ms, &mut buf))
        .map_err(|_| ThingError::Capacity)?;
    let r = ["{\"deviceSendTime\":\"", digits, "\"}"]
        .iter()
        .try_for_each(|p| out.push_str(p).map_err(|_| ThingError::Capacity));
    if r.is_err() {
        out.clear();
    }
    r
}

/// The platform's answer to an NTP request (all times in ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NtpResponse {
    /// `deviceSendTime` echoed from the request (device clock).
    pub device_send_time: u64,
    /// `serverRecvTime` (UTC).
    pub server_recv_time: u64,
    /// `serverSendTime` (UTC).
    pub server_send_time: u64,
}

/// Why an NTP response gives no time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum NtpError {
    /// The receive time is before `deviceSendTime` (another clock, or a response to an
    /// earlier boot's request).
    #[error("device receive time is before deviceSendTime")]
    ClockWentBack,
    /// The result does not fit `u64` milliseconds.
    #[error("time out of range")]
    OutOfRange,
}

impl NtpResponse {
    /// Parse a response payload. Each time may be a quoted or bare decimal integer (Link
    /// SDK C reads both); a missing one is [`ThingError::Missing`], another form
    /// [`ThingError::Invalid`], each naming the field.
    ///
    /// ```
    /// use atmodem::aliyun::{ntp::NtpResponse, thing::{ThingError, ThingField}};
    /// let r = NtpResponse::parse(br#"{"deviceSendTime":"1571724098000","serverRecvTime":"1571724098110","serverSendTime":"1571724098115"}"#)?;
    /// assert_eq!(r.server_send_time, 1571724098115);
    /// assert_eq!(
    ///     NtpResponse::parse(br#"{"deviceSendTime":"1","serverRecvTime":"2"}"#),
    ///     Err(ThingError::Missing(ThingField::ServerSendTime))
    /// );
    /// # Ok::<(), ThingError>(())
    /// ```
    pub fn parse(payload: &[u8]) -> Result<Self, ThingError> {
        let m = Members::new(payload)?;
        let get = |field: ThingField| {
            let v = m.get(field.name()).ok_or(ThingError::Missing(field))?;
            as_u64(v).ok_or(ThingError::Invalid(field))
        };
        Ok(Self {
            device_send_time: get(ThingField::DeviceSendTime)?,
            server_recv_time: get(ThingField::ServerRecvTime)?,
            server_send_time: get(ThingField::ServerSendTime)?,
        })
    }

    /// UTC now, in ms since 1970, given `device_recv_ms`, the device clock when the
    /// response arrived (same clock as `deviceSendTime`).
    ///
    /// Computed as Link SDK C 4.1/4.2 does in `_ntp_recv_handler`
    /// (`components/ntp/aiot_ntp_api.c`):
    /// `(serverRecvTime + serverSendTime + deviceRecvTime - deviceSendTime) / 2` with
    /// integer division, i.e. the server's time plus half the round trip. The SDK does it
    /// in wrapping `uint64`; here a receive time before the send time is
    /// [`NtpError::ClockWentBack`] and an overflow [`NtpError::OutOfRange`] instead of a
    /// wrapped value. The result serves as a login `timestamp` (see
    /// [`timestamp_text`]).
    ///
    /// ```
    /// use atmodem::aliyun::ntp::NtpResponse;
    /// let r = NtpResponse { device_send_time: 1000, server_recv_time: 1571724098110, server_send_time: 1571724098115 };
    /// // (1571724098110 + 1571724098115 + 1300 - 1000) / 2
    /// assert_eq!(r.utc_ms(1300), Ok(1571724098262));
    /// assert!(r.utc_ms(999).is_err());
    /// ```
    pub fn utc_ms(&self, device_recv_ms: u64) -> Result<u64, NtpError> {
        let rtt = device_recv_ms
            .checked_sub(self.device_send_time)
            .ok_or(NtpError::ClockWentBack)?;
        let sum = u128::from(self.server_recv_time)
            .saturating_add(u128::from(self.server_send_time))
            .saturating_add(u128::from(rtt));
        u64::try_from(sum.checked_div(2).unwrap_or_default()).map_err(|_| NtpError::OutOfRange)
    }

    /// Whether this answers the request sent at `device_send_ms`.
    ///
    /// ```
    /// use atmodem::aliyun::ntp::NtpResponse;
    /// let r = NtpResponse { device_send_time: 1000, server_recv_time: 2, server_send_time: 3 };
    /// assert!(r.answers(1000));
    /// assert!(!r.answers(1001));
    /// ```
    #[must_use]
    pub const fn answers(&self, device_send_ms: u64) -> bool {
        self.device_send_time == device_send_ms
    }
}

/// `ms` as decimal text in `buf`, e.g. for [`DeviceSecretLogin::timestamp`](super::DeviceSecretLogin::timestamp).
///
/// ```
/// let mut buf = [0u8; 20];
/// assert_eq!(atmodem::aliyun::ntp::timestamp_text(1680937625134, &mut buf), "1680937625134");
/// ```
pub fn timestamp_text(ms: u64, buf: &mut [u8; 20]) -> &str {
    core::str::from_utf8(crate::codec::format_u64(ms, buf)).unwrap_or("0")
}
