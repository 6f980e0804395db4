//! The signals that end the console: SIGTERM (kill, shutdown), SIGHUP (the
//! terminal or the SSH link went away) and SIGINT (`kill -INT`; Ctrl-C is a
//! key in raw mode). The first one is handed to the console's loop, which
//! gives the terminal back and stops as on `q`; the exit status is then the
//! shell's 128 + signal number. A second one, or one arriving once the loop
//! has ended, ends the process at once: the operator or the service manager
//! insists, and the terminal's modes are put back first.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tokio::sync::mpsc;

/// The signals the console restores the terminal on before it ends.
pub const ENDING: [i32; 3] = [SIGTERM, SIGHUP, SIGINT];

/// Starts listening for [`ENDING`] signals; the first one arrives on the
/// returned channel. Listening lasts until the process ends.
pub fn watch() -> std::io::Result<mpsc::Receiver<i32>> {
    let mut signals = Signals::new(ENDING)?;
    let (tx, rx) = mpsc::channel(1);
    std::thread::Builder::new()
        .name("vigie-signals".into())
        .spawn(move || {
            let mut handed = false;
            for sig in signals.forever() {
                if !handed && tx.try_send(sig).is_ok() {
                    handed = true;
                    continue;
                }
                // Raw mode off (a tcsetattr: it never waits on the tty);
                // no escape sequence is written, the tty may be gone.
                let _ = crossterm::terminal::disable_raw_mode();
                std::process::exit(exit_code(sig).into());
            }
        })?;
    Ok(rx)
}

/// The status a shell reports for a process ended by `sig`: 128 + its number
/// (143 for SIGTERM, 129 for SIGHUP, 130 for SIGINT).
pub fn exit_code(sig: i32) -> u8 {
    u8::try_from(128 + sig).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ending_signals_exit_as_a_shell_reports_them() {
        assert_eq!(exit_code(SIGTERM), 143);
        assert_eq!(exit_code(SIGHUP), 129);
        assert_eq!(exit_code(SIGINT), 130);
    }
}
