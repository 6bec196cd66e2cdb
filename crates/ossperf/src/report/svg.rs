//! Line charts as inline SVG, drawn by a few dozen lines of our own code.
//!
//! Every chart in the report is a set of series of `(x, y)` points on linear axes: CDFs,
//! histogram outlines and time series alike. Drawing them ourselves keeps the report one
//! self-contained file that needs no network and no script, and keeps the output small (one
//! `<path>` per series). Runs are told apart by colour *and* dash pattern, and each chart
//! carries `data-points` so a test can check it has data.

use std::fmt::Write;

use super::fmt::{duration_unit, escape, grouped, trim};

/// Colour-blind-safe colours (Okabe–Ito), one per run or sub-dataset.
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a", "#000000",
];

/// Dash patterns that pair with [`PALETTE`], so colour never carries meaning alone.
const DASHES: [&str; 4] = ["", "7 3", "2 3", "9 3 2 3"];

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 290.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 46.0;

/// How an axis labels its ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// Nanoseconds, labelled in the fitting unit (`1.5 s`).
    DurationNs,
    /// Seconds since the test start.
    Seconds,
    /// A plain quantity (`1,200`).
    Number,
    /// A fraction shown as a percentage, fixed to 0–100 %.
    Fraction,
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend text.
    pub label: String,
    /// Index into [`PALETTE`] (and the dash patterns).
    pub style: usize,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Fill the area under the line (histograms).
    pub fill: bool,
}

/// A vertical reference line, such as a latency limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Its x position.
    pub x: f64,
    /// Its label (`TTFT limit 3 s`).
    pub label: String,
}

/// A chart: a title, two axes, series and markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The heading above the plot.
    pub title: String,
    /// The x axis and its label.
    pub x: (Axis, String),
    /// The y axis and its label.
    pub y: (Axis, String),
    /// The lines.
    pub series: Vec<Series>,
    /// Vertical reference lines.
    pub markers: Vec<Marker>,
}

impl Chart {
    /// The number of data points over all series.
    pub fn points(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }

    /// The chart as an `<svg>` element.
    pub fn render(&self) -> String {
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let xs = all().map(|p| p.0).chain(self.markers.iter().map(|m| m.x));
        let (x_lo, x_hi) = bounds(xs);
        let (y_lo, y_hi) = match self.y.0 {
            Axis::Fraction => (0.0, 1.0),
            _ => (0.0, bounds(all().map(|p| p.1)).1),
        };
        let x_ticks = ticks(x_lo, x_hi);
        let y_ticks = if self.y.0 == Axis::Fraction {
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        } else {
            ticks(y_lo, y_hi)
        };
        let x_hi = x_ticks.last().copied().unwrap_or(x_hi).max(x_hi);
        let y_hi = y_ticks.last().copied().unwrap_or(y_hi).max(y_hi);
        let frame = Frame {
            x: (x_lo.min(x_ticks[0]), x_hi),
            y: (y_lo, y_hi),
        };
        let mut svg = String::with_capacity(4096);
        let _ = write!(
            svg,
            "<svg class=\"chart\" data-points=\"{}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             role=\"img\" aria-label=\"{}\">",
            self.points(),
            escape(&self.title)
        );
        self.grid(&mut svg, &frame, &x_ticks, &y_ticks);
        for series in &self.series {
            series_path(&mut svg, &frame, series);
        }
        for marker in &self.markers {
            let x = frame.px(marker.x);
            let _ = write!(
                svg,
                "<line class=\"marker\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
                 <text class=\"marker-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                HEIGHT - BOTTOM,
                x - 4.0,
                TOP + 12.0,
                escape(&marker.label)
            );
        }
        self.legend(&mut svg);
        svg.push_str("</svg>");
        svg
    }

    fn grid(&self, svg: &mut String, frame: &Frame, x_ticks: &[f64], y_ticks: &[f64]) {
        let (bottom, right) = (HEIGHT - BOTTOM, WIDTH - RIGHT);
        let x_step = step_of(x_ticks);
        let y_step = step_of(y_ticks);
        for &t in y_ticks {
            let y = frame.py(t);
            let label = tick_label(self.y.0, t, y_step);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
                LEFT - 6.0,
                y + 4.0
            );
        }
        for &t in x_ticks {
            let x = frame.px(t);
            let label = tick_label(self.x.0, t, x_step);
            let _ = write!(
                svg,
                "<line class=\"tick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{bottom}\" y2=\"{:.1}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
                bottom + 4.0,
                bottom + 17.0
            );
        }
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\"/>\
             <text class=\"axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text class=\"axis-label\" transform=\"translate(14 {:.1}) rotate(-90)\" \
             text-anchor=\"middle\">{}</text>",
            LEFT + (right - LEFT) / 2.0,
            HEIGHT - 8.0,
            escape(&self.x.1),
            TOP + (bottom - TOP) / 2.0,
            escape(&self.y.1)
        );
    }

    fn legend(&self, svg: &mut String) {
        let mut x = LEFT;
        for series in &self.series {
            let (colour, dash) = style(series.style);
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"16\" y2=\"16\" stroke=\"{colour}\" \
                 stroke-width=\"2.5\" stroke-dasharray=\"{dash}\"/>\
                 <text class=\"legend\" x=\"{:.1}\" y=\"20\">{}</text>",
                x + 22.0,
                x + 27.0,
                escape(&series.label)
            );
            x += 40.0 + 6.5 * series.label.chars().count() as f64;
        }
    }
}

/// Maps data coordinates into the plot area.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / span(self.x) * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        HEIGHT - BOTTOM - (y - self.y.0) / span(self.y) * (HEIGHT - BOTTOM - TOP)
    }
}

fn span((lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        hi - lo
    } else {
        1.0
    }
}

fn style(index: usize) -> (&'static str, &'static str) {
    (
        PALETTE[index % PALETTE.len()],
        DASHES[index / 2 % DASHES.len()],
    )
}

fn series_path(svg: &mut String, frame: &Frame, series: &Series) {
    let (colour, dash) = style(series.style);
    let mut d = String::with_capacity(series.points.len() * 14);
    for (i, &(x, y)) in series.points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1},{:.1}",
            if i == 0 { 'M' } else { 'L' },
            frame.px(x),
            frame.py(y)
        );
    }
    if series.fill {
        let _ = write!(
            svg,
            "<path d=\"{d}\" fill=\"{colour}\" fill-opacity=\"0.14\" stroke=\"none\"/>"
        );
    }
    let _ = write!(
        svg,
        "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" \
         stroke-dasharray=\"{dash}\" stroke-linejoin=\"round\"><title>{}</title></path>",
        escape(&series.label)
    );
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        (0.0, 1.0)
    } else {
        (lo, hi)
    }
}

/// About five round ticks (1, 2 or 5 × 10^k apart) covering `[lo, hi]`.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let range = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let raw = range / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut k = 0.0;
    loop {
        let t = first + k * step;
        out.push(t);
        if t >= hi || out.len() > 12 {
            return out;
        }
        k += 1.0;
    }
}

fn step_of(ticks: &[f64]) -> f64 {
    match ticks {
        [a, b, ..] => b - a,
        _ => 1.0,
    }
}

fn tick_label(axis: Axis, value: f64, step: f64) -> String {
    let decimals = |unit_step: f64| -> usize {
        if unit_step >= 1.0 {
            0
        } else {
            (-unit_step.log10().floor()) as usize
        }
    };
    match axis {
        Axis::DurationNs => {
            let (div, label) = duration_unit(step * 5.0);
            format!("{} {label}", trim(value / div, decimals(step / div)))
        }
        Axis::Seconds => format!("{} s", trim(value, decimals(step))),
        Axis::Fraction => format!("{}%", trim(value * 100.0, 0)),
        Axis::Number => grouped((value / step).round() * step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(points: Vec<(f64, f64)>) -> Chart {
        Chart {
            title: "TTFT <CDF>".into(),
            x: (Axis::DurationNs, "TTFT".into()),
            y: (Axis::Fraction, "requests".into()),
            series: vec![Series {
                label: "run a".into(),
                style: 0,
                points,
                fill: false,
            }],
            markers: vec![Marker {
                x: 3e9,
                label: "limit 3 s".into(),
            }],
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 9.3), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 3e9), vec![0.0, 1e9, 2e9, 3e9]);
        assert_eq!(ticks(5.0, 5.0), vec![5.0]);
    }

    #[test]
    fn duration_ticks_use_one_unit() {
        assert_eq!(tick_label(Axis::DurationNs, 1.5e9, 5e8), "1.5 s");
        assert_eq!(tick_label(Axis::DurationNs, 2e7, 1e7), "20 ms");
        assert_eq!(tick_label(Axis::Fraction, 0.25, 0.25), "25%");
        assert_eq!(tick_label(Axis::Number, 1200.0, 200.0), "1,200");
    }

    #[test]
    fn a_chart_counts_its_points_and_escapes_its_text() {
        let svg = chart(vec![(1e9, 0.5), (2e9, 1.0)]).render();
        assert!(
            svg.starts_with("<svg class=\"chart\" data-points=\"2\""),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"TTFT &lt;CDF&gt;\""));
        assert!(svg.contains("limit 3 s"));
        assert_eq!(svg.matches("<path ").count(), 1);
    }

    #[test]
    fn points_map_into_the_plot_area() {
        let svg = chart(vec![(0.0, 0.0), (3e9, 1.0)]).render();
        let start = format!("M{LEFT:.1},{:.1}", HEIGHT - BOTTOM);
        let end = format!("L{:.1},{TOP:.1}", WIDTH - RIGHT);
        assert!(svg.contains(&format!("{start}{end}")), "{svg}");
    }
}
