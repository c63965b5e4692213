//! The first steps of the Luat application note: baud-rate sync (`AT`, upper case), the
//! firmware check (Aliyun needs V409 or later), attach and bearer.

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::FlowError;
use crate::client::{Bearer, BearerConfig, Client, HttpTiming};
use crate::dialects::common::Cgmr;
use crate::dialects::luat::Luat;

/// The oldest Air72x firmware that can talk to Aliyun.
pub const MIN_FIRMWARE: u32 = 409;

/// How long [`prepare`] waits for `+CGATT: 1`.
pub const ATTACH_TIMEOUT_MS: u32 = 60_000;

/// The Luat note's HTTP times: the body within 20 s (`AT+HTTPDATA=<len>,20000`).
pub const NOTE_HTTP_TIMING: HttpTiming = HttpTiming {
    url_input_secs: 60,
    body_input_secs: 20,
    response_secs: 60,
    read_secs: 60,
};

/// `AT` until `OK` (the module sets its baud rate from it; noise before the first answer is
/// skipped, up to [`Config::resync_attempts`](crate::client::Config) tries), `AT+CGMR`
/// (firmware V409 or later), `AT+CGATT?` until attached, then the bearer:
/// `AT+SAPBR=3,<cid>,"CONTYPE","GPRS"`, `AT+SAPBR=3,<cid>,"APN","<apn>"`, `AT+SAPBR=1,<cid>`.
/// Returns the firmware number.
///
/// ```
/// use atmodem::aliyun::flow::luat::prepare;
/// use atmodem::client::{BearerConfig, Client, State};
/// use atmodem::dialects::luat::Luat;
/// use atmodem::sim::{InstantDelay, SimModem};
/// // The Luat application note's first exchanges (APN as the Luat manual spells it).
/// let modem = SimModem::new(concat!(
///     ">> AT\n<< OK\n",
///     ">> AT+CGMR\n<< +CGMR: \"AirM2M_Air724UG_V409_LTE_AT\"\n<< OK\n",
///     ">> AT+CGATT?\n<< +CGATT: 1\n<< OK\n",
///     ">> AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\"\n<< OK\n",
///     ">> AT+SAPBR=3,1,\"APN\",\"CMIOT\"\n<< OK\n",
///     ">> AT+SAPBR=1,1\n<< OK\n",
/// ))
/// .unwrap();
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Luat> = Client::new(modem, InstantDelay, &mut state);
/// let bearer = BearerConfig { cid: 1, apn: "CMIOT", username: "", password: "" };
/// let firmware = embassy_futures::block_on(prepare(&mut c, &bearer)).unwrap();
/// assert_eq!(firmware, 409);
/// assert!(c.transport().is_done());
/// ```
///
/// # Errors
/// [`FlowError::Firmware`] for firmware older than [`MIN_FIRMWARE`] (nothing more is sent),
/// [`FlowError::Reply`] when `+CGMR` names no Luat firmware, and the client's errors.
///
/// On a timeout the client stays usable (the next command resynchronises); a module reboot
/// during the call shows as a timeout or an error of the step it hit, and a dropped future
/// leaves the module at whichever step was sent last: call `prepare` again.
pub async fn prepare<IO, DL>(
    c: &mut Client<'_, IO, DL, Luat>,
    bearer: &BearerConfig<'_>,
) -> Result<u32, FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    c.autobaud().await?;
    let firmware = c
        .send(&Cgmr)
        .await?
        .luat_firmware()
        .ok_or(FlowError::Reply)?;
    if firmware < MIN_FIRMWARE {
        return Err(FlowError::Firmware(firmware));
    }
    c.wait_network(ATTACH_TIMEOUT_MS).await?;
    c.bearer_up(bearer).await?;
    Ok(firmware)
}
