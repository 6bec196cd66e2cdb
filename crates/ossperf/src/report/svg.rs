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
const PLOT_HEIGHT: f64 = HEIGHT - BOTTOM - TOP;
const LEGEND_ROW: f64 = 16.0;
const LEGEND_SWATCH: f64 = 27.0;
const LEGEND_CHAR: f64 = 6.5;
const LEGEND_GAP: f64 = 13.0;
/// A limit is drawn on the axis when it is within this factor of the largest value.
const MARKER_REACH: f64 = 2.0;

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

/// A marked data point drawn over a chart's lines: a filled circle when `filled` (a VALID
/// point), a hollow one otherwise, so the mark's shape, not its colour, carries the meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    /// Its position.
    pub at: (f64, f64),
    /// Index into [`PALETTE`].
    pub style: usize,
    /// Filled or hollow.
    pub filled: bool,
    /// The `class` after `point` (`valid`, `invalid`, `na`), for tests and styling.
    pub class: &'static str,
    /// The tooltip.
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
        self.render_with_dots(&[])
    }

    /// The chart with `dots` drawn over its lines (the dots do not widen the axes: give
    /// each a series point too).
    pub fn render_with_dots(&self, dots: &[Dot]) -> String {
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let (data_lo, data_hi) = bounds(all().map(|p| p.0));
        // The axis is scaled to the data; a limit far beyond it (a 57 ms p99 under a 3 s
        // limit) is named at the right edge instead of squashing the data into a corner.
        let (near, far): (Vec<&Marker>, Vec<&Marker>) = self
            .markers
            .iter()
            .partition(|m| m.x <= data_hi.max(0.0) * MARKER_REACH || self.points() == 0);
        let xs = all().map(|p| p.0).chain(near.iter().map(|m| m.x));
        let (x_lo, x_hi) = if self.points() == 0 && near.is_empty() {
            (data_lo, data_hi)
        } else {
            bounds(xs)
        };
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
        let legend = self.legend_layout();
        let frame = Frame {
            x: (x_lo.min(x_ticks[0]), x_hi),
            y: (y_lo, y_hi),
            top: TOP + LEGEND_ROW * legend.rows.saturating_sub(1) as f64,
        };
        let mut svg = String::with_capacity(4096);
        let _ = write!(
            svg,
            "<svg class=\"chart\" data-points=\"{}\" viewBox=\"0 0 {WIDTH} {:.0}\" \
             role=\"img\" aria-label=\"{}\">",
            self.points(),
            frame.height(),
            escape(&self.title)
        );
        self.grid(&mut svg, &frame, &x_ticks, &y_ticks);
        for series in &self.series {
            series_path(&mut svg, &frame, series);
        }
        for dot in dots {
            let (colour, _) = style(dot.style);
            let fill = if dot.filled { colour } else { "#fff" };
            let _ = write!(
                svg,
                "<circle class=\"point {}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.5\" fill=\"{fill}\" \
                 stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></circle>",
                dot.class,
                frame.px(dot.at.0),
                frame.py(dot.at.1),
                escape(&dot.label)
            );
        }
        for marker in near {
            let x = frame.px(marker.x);
            let _ = write!(
                svg,
                "<line class=\"marker\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                 <text class=\"marker-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                frame.top,
                frame.bottom(),
                x - 4.0,
                frame.top + 12.0,
                escape(&marker.label)
            );
        }
        for (i, marker) in far.iter().enumerate() {
            let _ = write!(
                svg,
                "<text class=\"marker-label off-scale\" x=\"{:.1}\" y=\"{:.1}\" \
                 text-anchor=\"end\">{} →</text>",
                WIDTH - RIGHT,
                // Above the plot, between the legend and the data, so no line crosses it.
                frame.top - 6.0 - 14.0 * i as f64,
                escape(&marker.label)
            );
        }
        self.legend(&mut svg, &legend);
        svg.push_str("</svg>");
        svg
    }

    fn grid(&self, svg: &mut String, frame: &Frame, x_ticks: &[f64], y_ticks: &[f64]) {
        let (bottom, right) = (frame.bottom(), WIDTH - RIGHT);
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
            // A label centred on a tick at the right edge would run past the chart's border.
            let anchor = if x > right - 20.0 { "end" } else { "middle" };
            let _ = write!(
                svg,
                "<line class=\"tick\" x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{bottom}\" y2=\"{:.1}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{label}</text>",
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
            frame.height() - 8.0,
            escape(&self.x.1),
            frame.top + (bottom - frame.top) / 2.0,
            escape(&self.y.1)
        );
    }

    /// Where each legend entry goes: entries fill a row from the left and wrap to the next
    /// row before the right edge, so every entry stays inside the chart.
    fn legend_layout(&self) -> Legend {
        let mut rows = 1;
        let mut x = LEFT;
        let mut places = Vec::with_capacity(self.series.len());
        let room = WIDTH - RIGHT - LEFT;
        for series in &self.series {
            let label = fit_label(&series.label, room - LEGEND_SWATCH);
            let width = legend_width(&label);
            if x > LEFT && x + width > WIDTH - RIGHT {
                rows += 1;
                x = LEFT;
            }
            places.push((x, 16.0 + LEGEND_ROW * (rows - 1) as f64, label));
            x += width + LEGEND_GAP;
        }
        Legend { rows, places }
    }

    fn legend(&self, svg: &mut String, legend: &Legend) {
        for (series, (x, y, label)) in self.series.iter().zip(&legend.places) {
            let (colour, dash) = style(series.style);
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{colour}\" \
                 stroke-width=\"2.5\" stroke-dasharray=\"{dash}\"/>\
                 <text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 22.0,
                x + 27.0,
                y + 4.0,
                escape(label)
            );
        }
    }
}

/// The legend's rows and each entry's place `(x, y, label)`.
struct Legend {
    rows: usize,
    places: Vec<(f64, f64, String)>,
}

/// The width of a legend entry: the swatch and the label at about 6.5 units a character
/// (the report's 11 px sans-serif).
fn legend_width(label: &str) -> f64 {
    LEGEND_SWATCH + LEGEND_CHAR * label.chars().count() as f64
}

/// The label, cut with `…` when even a row of its own is too narrow for it.
fn fit_label(label: &str, room: f64) -> String {
    let most = (room / LEGEND_CHAR).floor().max(1.0) as usize;
    if label.chars().count() <= most {
        return label.to_string();
    }
    let mut cut: String = label.chars().take(most - 1).collect();
    cut.push('…');
    cut
}

/// Maps data coordinates into the plot area.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    /// The plot's top edge: lower when the legend takes several rows.
    top: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        LEFT + (x - self.x.0) / span(self.x) * (WIDTH - LEFT - RIGHT)
    }

    fn py(&self, y: f64) -> f64 {
        self.bottom() - (y - self.y.0) / span(self.y) * PLOT_HEIGHT
    }

    /// The x axis's height (the plot keeps its size; the chart grows with the legend).
    fn bottom(&self) -> f64 {
        self.top + PLOT_HEIGHT
    }

    /// The whole chart's height.
    fn height(&self) -> f64 {
        self.bottom() + BOTTOM
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
    if let (true, Some(first), Some(last)) =
        (series.fill, series.points.first(), series.points.last())
    {
        // Down to the x axis from the last point, back along it and up to the first: closing
        // the path straight from last to first would cut a diagonal through the area.
        let axis = frame.py(frame.y.0);
        let _ = write!(
            svg,
            "<path class=\"fill\" d=\"{d}L{:.1},{axis:.1}L{:.1},{axis:.1}Z\" fill=\"{colour}\" \
             fill-opacity=\"0.14\" stroke=\"none\"/>",
            frame.px(last.0),
            frame.px(first.0),
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
        // Below a step of 1 (a queue that averages 0.004), as many decimals as the step has.
        Axis::Number if step < 1.0 => trim((value / step).round() * step, decimals(step)),
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
        assert!(
            svg.contains("<line class=\"marker\""),
            "a limit near the data is drawn"
        );
        assert_eq!(svg.matches("<path ").count(), 1);
        let far = chart(vec![(1e6, 0.5), (5.7e7, 1.0)]).render();
        assert!(!far.contains("<line class=\"marker\""), "{far}");
        assert!(
            far.contains(">limit 3 s →</text>"),
            "a far limit is named at the edge"
        );
    }

    #[test]
    fn points_map_into_the_plot_area() {
        let svg = chart(vec![(0.0, 0.0), (3e9, 1.0)]).render();
        let start = format!("M{LEFT:.1},{:.1}", HEIGHT - BOTTOM);
        let end = format!("L{:.1},{TOP:.1}", WIDTH - RIGHT);
        assert!(svg.contains(&format!("{start}{end}")), "{svg}");
    }

    #[test]
    fn the_tick_label_at_the_right_edge_ends_there_instead_of_running_past_it() {
        let svg = chart(vec![(0.0, 0.0), (3e9, 1.0)]).render();
        let edge = WIDTH - RIGHT;
        assert!(
            svg.contains(&format!(
                "<text x=\"{edge:.1}\" y=\"{:.1}\" text-anchor=\"end\">3 s</text>",
                HEIGHT - BOTTOM + 17.0
            )),
            "{svg}"
        );
        assert!(svg.contains("text-anchor=\"middle\">0 s</text>"), "{svg}");
    }
}
