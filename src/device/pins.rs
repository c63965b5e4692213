//! The module's PWRKEY and RESET lines, and how long to hold them.

use core::convert::Infallible;

use embedded_hal::digital::{ErrorType, OutputPin};

/// A pin that is not wired: every call succeeds and does nothing. The default pin type of
/// [`Device`](super::Device).
///
/// ```
/// use atmodem::device::NoPin;
/// use embedded_hal::digital::OutputPin;
/// assert!(NoPin.set_high().is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoPin;

impl ErrorType for NoPin {
    type Error = Infallible;
}

impl OutputPin for NoPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// How long to hold the lines and wait for the module, in milliseconds. A pin is driven
/// high to assert it (boards drive PWRKEY and RESET through an inverting transistor; wrap
/// the pin if yours is active-low). The constants are the figures of the drivers and
/// hardware notes the project's research collected (Zephyr's modem drivers, TinyGSM,
/// Quectel's EG25-G hardware design, the Air201 PWRKEY note).
///
/// ```
/// use atmodem::device::PinTimings;
/// assert_eq!(PinTimings::QUECTEL_EC2X.power_pulse_ms, 1_500);
/// assert_eq!(PinTimings::QUECTEL_BG9X.reset_pulse_ms, 1_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PinTimings {
    /// PWRKEY pulse that turns the module on (and, on a running module, off).
    pub power_pulse_ms: u32,
    /// After an off pulse: how long the module takes to shut down.
    pub off_wait_ms: u32,
    /// RESET pulse.
    pub reset_pulse_ms: u32,
    /// After power-on or reset: time until the first `AT` is worth sending.
    pub boot_ms: u32,
}

impl PinTimings {
    /// Quectel BG95/BG96: PWRKEY 500 ms, first `AT` after 5 s, RESET 1000 ms, shutdown
    /// 2000 ms (Zephyr).
    pub const QUECTEL_BG9X: Self = Self {
        power_pulse_ms: 500,
        off_wait_ms: 2_000,
        reset_pulse_ms: 1_000,
        boot_ms: 5_000,
    };
    /// Quectel EC2x / EG25-G: PWRKEY 1500 ms (the hardware design: at least 500 ms), first
    /// `AT` after 15 s, RESET 500 ms, shutdown 5000 ms (Zephyr).
    pub const QUECTEL_EC2X: Self = Self {
        power_pulse_ms: 1_500,
        off_wait_ms: 5_000,
        reset_pulse_ms: 500,
        boot_ms: 15_000,
    };
    /// Luat Air72x / Air780E: PWRKEY 1.5 s (the Air201 note; no Air72x/780E figure was
    /// found). RESET and shutdown times are not documented: the PWRKEY figure is used for
    /// the reset pulse, 2 s for shutdown; the module prints its boot URCs only after it has
    /// learned the baud rate from `AT`, so the boot wait is short and `AT` is sent until it
    /// answers.
    pub const LUAT: Self = Self {
        power_pulse_ms: 1_500,
        off_wait_ms: 2_000,
        reset_pulse_ms: 1_500,
        boot_ms: 1_000,
    };
}

impl Default for PinTimings {
    /// [`PinTimings::QUECTEL_EC2X`], the slowest of the known families.
    fn default() -> Self {
        Self::QUECTEL_EC2X
    }
}

/// Assert `pin` (high), hold it `ms`, release it.
pub(super) async fn pulse<P: OutputPin, DL: embedded_hal_async::delay::DelayNs>(
    pin: &mut P,
    delay: &mut DL,
    ms: u32,
) {
    // A pin error cannot be acted on here: the next escalation step follows.
    let _ = pin.set_high();
    delay.delay_ms(ms).await;
    let _ = pin.set_low();
}
