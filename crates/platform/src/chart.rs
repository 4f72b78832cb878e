//! The dashboard's 30-day chart, drawn on the server as SVG (no script in the browser).

use std::fmt::Write;

use cardwire_merchant::Fen;

/// One bar: a day's label and its settled amount in fen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// `MM-DD`.
    pub label: String,
    /// Fen (negative days draw no bar).
    pub amount: i64,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 220;
const LEFT: i64 = 70;
const BOTTOM: i64 = 30;
const TOP: i64 = 10;

/// Escapes text for an SVG text node.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG of the bars, scaled to the largest; each bar has a `<title>` with its day and
/// amount (a tooltip without script).
pub fn bars(days: &[Bar]) -> String {
    let max = days.iter().map(|d| d.amount).max().unwrap_or(0).max(1);
    let n = i64::try_from(days.len()).unwrap_or(1).max(1);
    let plot_w = WIDTH - LEFT - 10;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step = plot_w / n;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"Settled amount per day, last {n} days\">"
    );
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#888\"/>",
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - 10
    );
    let _ = write!(
        s,
        "<text x=\"{x}\" y=\"{y}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{x}\" y=\"{y0}\" font-size=\"11\" text-anchor=\"end\">0.00</text>",
        Fen(max),
        x = LEFT - 6,
        y = TOP + 10,
        y0 = HEIGHT - BOTTOM
    );
    for (i, d) in days.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let h = d.amount.max(0) * plot_h / max;
        let x = LEFT + i * step + 2;
        let y = HEIGHT - BOTTOM - h;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"#2f6fb0\">\
             <title>{} {}</title></rect>",
            esc(&d.label),
            Fen(d.amount),
            w = (step - 4).max(1)
        );
        if i % 5 == 0 {
            let _ = write!(
                s,
                "<text x=\"{x}\" y=\"{ty}\" font-size=\"10\">{}</text>",
                esc(&d.label),
                ty = HEIGHT - BOTTOM + 14
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_day_fills_the_plot() {
        let svg = bars(&[
            Bar {
                label: "11-01".into(),
                amount: 500,
            },
            Bar {
                label: "11-02".into(),
                amount: 1000,
            },
        ]);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("height=\"180\""), "{svg}");
        assert!(svg.contains("height=\"90\""), "{svg}");
        assert!(svg.contains("<title>11-02 10.00</title>"));
    }
}
