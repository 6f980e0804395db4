//! Money as invoices count it: exact decimals, rounded half-up to the cent
//! once per invoice line, totals summed from the rounded lines.
//!
//! A binary float cannot hold 0.145 or 1.005: `7 × 0.145` came out as
//! 1.01 € where the invoice must say 1.02 €. Prices, rates, fees, credits
//! and amounts are therefore [`Decimal`]s, read from the configuration's
//! text as written.

use std::time::Duration;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

/// An amount rounded to the cent, half away from zero (the commercial
/// rounding an invoice uses: 1.005 € is 1.01 €).
pub fn cents(x: Decimal) -> Decimal {
    x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// One invoice line: `quantity × unit_price`, rounded to the cent.
/// Saturates rather than overflow on absurd quantities.
pub fn line_amount(quantity: u64, unit_price: Decimal) -> Decimal {
    cents(
        Decimal::from(quantity)
            .checked_mul(unit_price)
            .unwrap_or(Decimal::MAX),
    )
}

/// The total of an invoice: the sum of its already rounded lines.
pub fn total<'a>(lines: impl IntoIterator<Item = &'a Decimal>) -> Decimal {
    lines
        .into_iter()
        .fold(Decimal::ZERO, |acc, x| acc.saturating_add(*x))
}

/// Worked time billed at an hourly rate, rounded to the cent
/// (15 min at 120 €/h is 30.00 €).
pub fn of_time(billed: Duration, hourly_rate: Decimal) -> Decimal {
    let secs = Decimal::from(billed.as_secs());
    let raw = secs
        .checked_mul(hourly_rate)
        .map_or(Decimal::MAX, |x| x / Decimal::from(3600));
    cents(raw)
}

/// A share (in percent) of a fee, rounded to the cent: an SLA credit.
pub fn percent_of(percent: Decimal, fee: Decimal) -> Decimal {
    cents(
        percent
            .checked_mul(fee)
            .map_or(Decimal::MAX, |x| x / Decimal::ONE_HUNDRED),
    )
}

/// An amount as printed and exported: exactly two decimals (`1200.00`).
pub fn format_cents(x: Decimal) -> String {
    format!("{:.2}", cents(x))
}

/// A unit price or rate as printed and exported: at least two decimals,
/// more when the contract gives them (`0.0015` per e-mail stays so).
pub fn format_price(x: Decimal) -> String {
    let n = x.normalize();
    if n.scale() <= 2 {
        format!("{n:.2}")
    } else {
        n.to_string()
    }
}

/// An exact decimal from a number as written (`0.145`, `1_200`, `120`).
/// `None` for anything else, exponents included (nobody writes a price so).
pub fn parse(text: &str) -> Option<Decimal> {
    let t: String = text.trim().chars().filter(|c| *c != '_').collect();
    let t = t.strip_prefix('+').unwrap_or(&t);
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    t.parse::<Decimal>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse(s).unwrap_or_else(|| panic!("test literal {s}"))
    }

    #[test]
    fn the_binary_float_traps_come_out_as_the_invoice_says() {
        // (quantity, unit price, amount the invoice must show)
        let table = [
            (7, "0.145", "1.02"),
            (1, "1.005", "1.01"),
            (3, "0.335", "1.01"),
            (1, "2.675", "2.68"),
            (333, "0.0015", "0.50"),
            (1, "1200", "1200.00"),
            (0, "0.08", "0.00"),
        ];
        for (q, price, want) in table {
            assert_eq!(
                format_cents(line_amount(q, d(price))),
                want,
                "{q} × {price}"
            );
        }
    }

    #[test]
    fn a_total_is_the_sum_of_the_rounded_lines() {
        // Each line rounds up from half a cent: summing unrounded amounts
        // (0.005 × 3 = 0.015, then 0.02) would disagree with the lines.
        let lines = [
            line_amount(1, d("0.005")),
            line_amount(1, d("0.005")),
            line_amount(1, d("0.005")),
        ];
        assert_eq!(format_cents(total(&lines)), "0.03");
        assert_eq!(d("0.1") + d("0.2"), d("0.3"));
        assert_eq!(format_cents(total(&[d("0.1"), d("0.2")])), "0.30");
    }

    #[test]
    fn a_quarter_hour_at_120_an_hour_is_thirty() {
        let table = [
            (900, "120", "30.00"),
            (60, "95", "1.58"), // 1.58333…
            (540, "100", "15.00"),
            (1, "36", "0.01"), // 0.01 exactly
            (3, "6", "0.01"),  // 0.005 rounds up
            (0, "120", "0.00"),
        ];
        for (secs, rate, want) in table {
            assert_eq!(
                format_cents(of_time(Duration::from_secs(secs), d(rate))),
                want,
                "{secs} s at {rate}"
            );
        }
    }

    #[test]
    fn sla_credits_are_a_rounded_share_of_the_fee() {
        assert_eq!(format_cents(percent_of(d("10"), d("300"))), "30.00");
        assert_eq!(format_cents(percent_of(d("12.5"), d("0.68"))), "0.09"); // 0.085
        assert_eq!(format_cents(percent_of(d("0"), d("300"))), "0.00");
    }

    #[test]
    fn numbers_are_read_as_written() {
        assert_eq!(parse("1_200.50"), Some(d("1200.50")));
        assert_eq!(parse("+3"), Some(d("3")));
        assert_eq!(parse("0.145").map(|x| x.to_string()), Some("0.145".into()));
        assert_eq!(parse("1e3"), None);
        assert_eq!(parse("nan"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn prices_keep_their_digits_and_amounts_two() {
        assert_eq!(format_price(d("0.0015")), "0.0015");
        assert_eq!(format_price(d("5")), "5.00");
        assert_eq!(format_price(d("0.10")), "0.10");
        assert_eq!(format_cents(d("1200")), "1200.00");
    }
}
