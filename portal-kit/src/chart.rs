//! Line and bar charts drawn as plain SVG: no chart crate, no script and no inline styles, so they
//! fit the portals' strict Content-Security-Policy (colours come from `portal.css` classes). The
//! SVG scales with its container; the numbers are also given as text for screen readers.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct ChartPoint {
    /// Shown under the x axis, e.g. a day.
    pub label: String,
    pub value: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Line,
    Bar,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// About how many intervals the y axis is split into.
const TARGET_INTERVALS: f64 = 4.0;
/// The width of one axis character in viewBox units (`.chart .axis` is 15 units tall), used to
/// leave room for the longest y label so it is never clipped.
const CHAR_WIDTH: f64 = 9.0;

/// The smallest "nice" number (1, 2 or 5 times a power of ten) that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|candidate| *candidate >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// The y-axis tick values, from 0 to a round maximum at least `max`. For a series of whole
/// numbers (counts) every tick is a distinct whole number, so no label repeats after rounding.
fn ticks(max: f64, integers: bool) -> Vec<f64> {
    let max = if max.is_finite() { max.max(0.0) } else { 0.0 };
    let mut step = nice_step(max / TARGET_INTERVALS);
    if integers {
        step = step.max(1.0);
    }
    let intervals = ((max / step) - 1e-9).ceil().max(1.0) as usize;
    (0..=intervals)
        // Rounded so that 3 × 0.1 reads 0.3, not 0.30000000000000004.
        .map(|index| (index as f64 * step * 1e9).round() / 1e9)
        .collect()
}

struct Geometry {
    left: f64,
    top: f64,
    step: f64,
}

impl Geometry {
    fn new(points: &[ChartPoint], top: f64, longest_label: usize) -> Self {
        let left = (longest_label as f64 * CHAR_WIDTH + 14.0).max(30.0);
        let plot_width = WIDTH - left - RIGHT;
        Self {
            left,
            top: if top > 0.0 { top } else { 1.0 },
            step: plot_width / points.len().max(1) as f64,
        }
    }

    fn y(&self, value: f64) -> f64 {
        let plot_height = HEIGHT - TOP - BOTTOM;
        TOP + plot_height * (1.0 - (value / self.top).clamp(0.0, 1.0))
    }

    /// The centre of the slot of point `index`.
    fn x(&self, index: usize) -> f64 {
        self.left + self.step * (index as f64 + 0.5)
    }
}

/// `id` lets tests find it; `format` turns axis values into text (e.g. `$0.12`).
#[component]
pub fn Chart(
    #[prop(into)] id: String,
    #[prop(into)] title: String,
    kind: ChartKind,
    #[prop(into)] points: Signal<Vec<ChartPoint>>,
    #[prop(default = |value| format!("{value}"))] format: fn(f64) -> String,
) -> impl IntoView {
    let summary = move || {
        points
            .get()
            .iter()
            .map(|point| format!("{}: {}", point.label, format(point.value)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let label = title.clone();
    view! {
        <figure class="chart" id=id>
            <figcaption>{title}</figcaption>
            <svg
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                class="chart-svg"
                role="img"
                aria-label=move || format!("{label}. {}", summary())
            >
                {move || {
                    let points = points.get();
                    let max = points.iter().map(|point| point.value).fold(0.0, f64::max);
                    let integers = points.iter().all(|point| point.value.fract() == 0.0);
                    let ticks = ticks(max, integers);
                    let labels: Vec<String> = ticks.iter().map(|tick| format(*tick)).collect();
                    let longest = labels.iter().map(|label| label.chars().count()).max().unwrap_or(1);
                    let geometry = Geometry::new(&points, ticks.last().copied().unwrap_or(1.0), longest);
                    let grid = ticks
                        .iter()
                        .zip(labels)
                        .map(|(value, label)| {
                            let y = geometry.y(*value);
                            view! {
                                <line class="grid" x1=geometry.left x2=WIDTH - RIGHT y1=y y2=y></line>
                                <text class="axis" x=geometry.left - 6.0 y=y + 5.0 text-anchor="end">
                                    {label}
                                </text>
                            }
                        })
                        .collect_view();
                    // At most ~6 x labels, so they never overlap at phone width.
                    let every = points.len().div_ceil(6).max(1);
                    let x_labels = points
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| index % every == 0)
                        .map(|(index, point)| {
                            view! {
                                <text class="axis" x=geometry.x(index) y=HEIGHT - 8.0 text-anchor="middle">
                                    {point.label.clone()}
                                </text>
                            }
                        })
                        .collect_view();
                    let marks = match kind {
                        ChartKind::Bar => {
                            points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    let width = (geometry.step * 0.7).max(1.0);
                                    let y = geometry.y(point.value);
                                    view! {
                                        <rect
                                            class="bar"
                                            x=geometry.x(index) - width / 2.0
                                            y=y
                                            width=width
                                            height=(HEIGHT - BOTTOM - y).max(0.0)
                                        ></rect>
                                    }
                                })
                                .collect_view()
                                .into_any()
                        }
                        ChartKind::Line => {
                            let path = points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    format!("{:.1},{:.1}", geometry.x(index), geometry.y(point.value))
                                })
                                .collect::<Vec<_>>()
                                .join(" ");
                            let dots = points
                                .iter()
                                .enumerate()
                                .map(|(index, point)| {
                                    view! {
                                        <circle
                                            class="dot"
                                            cx=geometry.x(index)
                                            cy=geometry.y(point.value)
                                            r="3"
                                        ></circle>
                                    }
                                })
                                .collect_view();
                            view! {
                                <polyline class="line" points=path></polyline>
                                {dots}
                            }
                                .into_any()
                        }
                    };
                    view! {
                        {grid}
                        {x_labels}
                        {marks}
                    }
                }}
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::ticks;

    #[test]
    fn axis_ticks_are_round_and_reach_the_maximum() {
        assert_eq!(ticks(0.0, true), vec![0.0, 1.0]);
        assert_eq!(ticks(7.0, false), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(120.0, true), vec![0.0, 50.0, 100.0, 150.0]);
        assert_eq!(ticks(0.013, false), vec![0.0, 0.005, 0.01, 0.015]);
        assert_eq!(ticks(0.3, false), vec![0.0, 0.1, 0.2, 0.3]);
    }

    #[test]
    fn counts_get_distinct_whole_ticks() {
        // One call a day used to give 0, 0.25, 0.5, 0.75, 1: "0, 0, 1, 1, 1" once rounded.
        assert_eq!(ticks(1.0, true), vec![0.0, 1.0]);
        assert_eq!(ticks(2.0, true), vec![0.0, 1.0, 2.0]);
        assert_eq!(ticks(3.0, true), vec![0.0, 1.0, 2.0, 3.0]);
        for max in 1..=500 {
            let ticks = ticks(f64::from(max), true);
            assert!(
                ticks.iter().all(|tick| tick.fract() == 0.0),
                "{max}: {ticks:?}"
            );
            assert!(
                ticks.windows(2).all(|pair| pair[1] > pair[0]),
                "{max}: {ticks:?}"
            );
            assert!(*ticks.last().unwrap() >= f64::from(max));
            assert!(ticks.len() <= 6, "{max}: {ticks:?}");
        }
    }
}
